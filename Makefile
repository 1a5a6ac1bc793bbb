# optiform: two commands on a fresh machine.
#   make demo   creates .venv, installs optiform, runs a closed-loop campaign on the virtual lab
#   make test   same set-up, then the test suite
# and for contributors: make lint, make test-fast, make bench (see CONTRIBUTING.md).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench notebooks clean

install: $(STAMP)

# torch first, pinned to the CPU wheel (a plain "torch" would pull a multi-GB CUDA build);
# [peers] is BayBE, the peer optiform bench compares with (--strategies baybe).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[test,peers]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/optiform demo

# two workers (pytest-xdist): the suite is CPU-bound and the machines have two cores
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --durations=25

# everything but the tests marked slow (closed loops, notebooks, long fits)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# run every notebook top to bottom and store it with its outputs (about 3 min)
notebooks: $(STAMP)
	$(BIN)/python notebooks/execute.py

lint: $(STAMP)
	$(BIN)/ruff check optiform tests benchmarks
	$(BIN)/ruff format --check optiform tests benchmarks
	$(BIN)/mypy

# the main comparison of benchmarks/README.md: the default strategy against random search (10-15 min on 2 cores)
bench: $(STAMP)
	$(BIN)/optiform bench --problems llzt-full,llzt-ternary --strategies botorch,random --seeds 20 --budget 60 --batch 4 --out benchmarks/results/bench-$$(date +%Y%m%d-%H%M%S)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache demo-*
