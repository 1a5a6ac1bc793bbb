"""The package's structure: layers that point one way, no import cycle (imports inside functions
count), SQLAlchemy only in the store, and one error family."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import optiform
from optiform.errors import OptiformError, OptiformWarning

PACKAGE = Path(optiform.__file__).parent

# Lower layers first; a module may import its own layer and the layers below it (CONTRIBUTING.md).
LAYERS: list[tuple[str, ...]] = [
    ("optiform._version", "optiform.errors", "optiform.numbers"),
    ("optiform.analysis", "optiform.polytope"),
    ("optiform.spec",),
    ("optiform.space", "optiform.recipe"),
    ("optiform.models", "optiform.strategies"),
    ("optiform.store",),
    ("optiform.inputs",),
    ("optiform.ingest", "optiform.record", "optiform.made", "optiform.update", "optiform.plots", "optiform.report"),
    ("optiform.campaign",),
    ("optiform.sim", "optiform.bench"),
    ("optiform.cli", "optiform"),
]
# Within a layer or below it, but still forbidden:
FORBIDDEN = {
    "optiform.analysis": ("optiform.",),  # stands alone: only optiform.errors (allowed below)
    "optiform.sim": ("optiform.bench", "optiform.campaign", "optiform.ingest"),
    "optiform.spec": ("optiform.space",),
}
ALLOWED_ALWAYS = ("optiform.errors", "optiform._version")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "migrations" in parts:  # Alembic scripts, loaded by path
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> set[str]:
    """optiform modules that ``module`` imports anywhere in its code (functions, TYPE_CHECKING too)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path.name == "__init__.py", node)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # optiform.a.b.c (an attribute) -> optiform.a.b
                target = target.rpartition(".")[0]
            if target.startswith("optiform") and target != module:
                found.add(target)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _layer(module: str) -> int:
    best = (-1, -1)  # (prefix length, layer)
    for i, names in enumerate(LAYERS):
        for name in names:
            if module == name or module.startswith(name + "."):
                best = max(best, (len(name), i))
    assert best[1] >= 0, f"{module} is in no layer; add it to LAYERS and CONTRIBUTING.md"
    return best[1]


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        _layer(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module: str) -> None:
    for target in GRAPH[module]:
        if target.startswith(ALLOWED_ALWAYS):
            continue
        assert _layer(target) <= _layer(module), f"{module} imports {target}, a higher layer"
        for prefix, banned in FORBIDDEN.items():
            if module.startswith(prefix) and not target.startswith(prefix):
                assert not target.startswith(banned), f"{module} must not import {target}"


def test_no_import_cycle() -> None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                cycle = [*stack[stack.index(n) :], n]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m)


def test_sqlalchemy_only_in_the_store() -> None:
    users = []
    for module, path in MODULES.items():
        if module.startswith("optiform.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            users += [f"{module}: {n}" for n in names if n.split(".")[0] in ("sqlalchemy", "alembic")]
    assert not users, users


def test_every_exception_class_is_an_optiform_error() -> None:
    classes = []
    for info in pkgutil.walk_packages(optiform.__path__, "optiform."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, BaseException):
                classes.append(cls)
    assert classes, "no exception classes found"
    strays = [
        f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, (OptiformError, OptiformWarning))
    ]
    assert not strays, strays
