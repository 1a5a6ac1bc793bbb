"""Strategy variants for benchmarks: a strategy name with options, as written on the command line.

``optiform bench --strategies 'botorch,botorch[feasibility_power=3,exploit=2],random'`` compares
the default strategy with the same strategy under other options. A variant is written
``name`` or ``name[key=value,key=value,...]``:

* ``name`` is a strategy of :data:`optiform.spec.STRATEGY_REGISTRY`;
* each value is read as JSON (``3``, ``0.5``, ``true``, ``"text"``); a bare word is a string;
* the key ``n_initial`` sets the campaign's design size (``[strategy] n_initial``), the keys
  ``kernel`` and ``lengthscale_prior`` its surrogate's (``[model] kernel``: rbf, matern, transfer,
  additive; ``[model] lengthscale_prior``: gamma, lognormal), the key ``feasibility_inputs`` its
  classifier's inputs (``[feasibility] inputs``: fractions, ratios; nothing to change on a problem
  without ``[feasibility]``); every other key
  is a strategy option (``[strategy.options]``), checked against the strategy's options model
  (:class:`optiform.spec.BotorchOptions`, ...), so a misspelt option is an error before anything
  runs;
* options are added to those the problem's campaign already gives the same strategy;
* a peer (:data:`optiform.bench.peers.PEERS`, e.g. ``baybe``) is another optimizer the bench runs
  on the problem's campaign as it is; it takes no options.

The variant's label (the text given, without spaces) names it in ``bench.csv``, the summary and the
plot's legend.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from ..errors import StrategyError
from ..spec import STRATEGY_NAMES, STRATEGY_REGISTRY, CampaignSpec, FeasibilitySpec, ModelSpec, load_spec
from .peers import PEERS, runs_outside_campaign

_VARIANT = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)(?:\[(?P<options>[^\[\]]*)\])?$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SPEC_KEYS = {  # variant key -> the Literal of the campaign setting it sets
    "kernel": ModelSpec.model_fields["kernel"].annotation,
    "lengthscale_prior": ModelSpec.model_fields["lengthscale_prior"].annotation,
    "feasibility_inputs": FeasibilitySpec.model_fields["inputs"].annotation,
}


@dataclass(frozen=True)
class StrategyVariant:
    """A strategy ``name`` with ``options`` and, optionally, the campaign's ``n_initial`` and
    surrogate ``kernel`` and ``lengthscale_prior`` and feasibility classifier's inputs."""

    label: str
    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    n_initial: int | None = None
    kernel: str | None = None
    lengthscale_prior: str | None = None
    feasibility_inputs: str | None = None

    def apply(self, spec: CampaignSpec) -> CampaignSpec:
        """``spec`` with its ``[strategy]`` set to this variant: the variant's options added to those
        the campaign already gives this strategy, ``n_initial`` and ``[model]`` ``kernel`` and
        ``lengthscale_prior`` and ``[feasibility] inputs`` (where declared) replaced when the
        variant sets them (a kernel the campaign cannot use is a SpecError). A peer
        runs on ``spec`` as it is."""
        if runs_outside_campaign(self.name):  # a peer outside optiform: only its first batch is set
            if self.n_initial is None:
                return spec
            data = spec.model_dump(mode="json")
            data["strategy"] = {**(data.get("strategy") or {}), "n_initial": self.n_initial}
            return CampaignSpec.model_validate(data)
        data = spec.model_dump(mode="json")
        current = data.get("strategy") or {}
        options = dict(current.get("options") or {}) if current.get("name", "botorch") == self.name else {}
        options.update(self.options)
        n_initial = self.n_initial if self.n_initial is not None else current.get("n_initial")
        data["strategy"] = {"name": self.name, "options": options, "n_initial": n_initial}
        model = {"kernel": self.kernel, "lengthscale_prior": self.lengthscale_prior}  # [model] keys
        model = {key: value for key, value in model.items() if value is not None}
        if model:
            data["model"] = {**(data.get("model") or {}), **model}
        if self.feasibility_inputs is not None and data.get("feasibility"):
            data["feasibility"] = {**data["feasibility"], "inputs": self.feasibility_inputs}
        return load_spec(data)


def split_strategies(text: str) -> list[str]:
    """Split a comma-separated list of variants at the commas outside brackets:
    ``"botorch[a=1,b=2],random"`` -> ``["botorch[a=1,b=2]", "random"]``. Empty items are dropped."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item.strip() for item in items if item.strip()]


def parse_strategy(text: str) -> StrategyVariant:
    """Read ``name`` or ``name[key=value,...]`` (see the module docstring) and check it: the name
    must be a known strategy, ``n_initial`` a positive whole number, and the strategy's options
    model must accept the options. Raises StrategyError naming the variant and what was expected."""
    compact = re.sub(r"\s+", "", text)
    match = _VARIANT.match(compact)
    if match is None:
        raise StrategyError(
            f"strategy {text!r}: expected name or name[key=value,...], e.g. botorch[feasibility_power=3]"
        )
    name = match["name"]
    if runs_outside_campaign(name):
        if match["options"]:
            raise StrategyError(f"strategy {text!r}: the peer {name!r} takes no options")
        return StrategyVariant(label=name, name=name)
    if name not in STRATEGY_REGISTRY:
        where = "" if compact == name else f"strategy {text!r}: "
        known = ", ".join([*STRATEGY_NAMES, *PEERS])
        raise StrategyError(f"{where}unknown strategy {name!r}; expected one of {known}")
    options: dict[str, Any] = {}
    n_initial = None
    spec_keys: dict[str, str] = {}  # the campaign's [model] and [feasibility] settings
    for pair in (match["options"] or "").split(","):
        if not pair:
            continue
        key, sep, raw = pair.partition("=")
        if not sep or not _KEY.match(key) or not raw:
            raise StrategyError(f"strategy {text!r}: option {pair!r} is not key=value")
        if key in options or key in spec_keys or (key == "n_initial" and n_initial is not None):
            raise StrategyError(f"strategy {text!r}: option {key!r} given twice")
        value = _value(raw)
        if key == "n_initial":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise StrategyError(f"strategy {text!r}: n_initial must be a positive whole number, got {raw!r}")
            n_initial = value
        elif key in _SPEC_KEYS:
            kinds = get_args(_SPEC_KEYS[key])
            if value not in kinds:
                raise StrategyError(f"strategy {text!r}: {key} must be one of {', '.join(kinds)}, got {raw!r}")
            spec_keys[key] = value
        else:
            options[key] = value
    try:
        STRATEGY_REGISTRY[name].options.from_options(options)
    except StrategyError as exc:
        raise StrategyError(f"strategy {text!r}: {exc}") from None
    if match["options"] is not None and not match["options"]:
        compact = name  # "botorch[]" is plain botorch
    return StrategyVariant(
        label=compact,
        name=name,
        options=options,
        n_initial=n_initial,
        kernel=spec_keys.get("kernel"),
        lengthscale_prior=spec_keys.get("lengthscale_prior"),
        feasibility_inputs=spec_keys.get("feasibility_inputs"),
    )


def _value(raw: str) -> Any:
    """A JSON value (number, true/false/null, quoted string) or, failing that, the bare word."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


__all__ = ["StrategyVariant", "parse_strategy", "split_strategies"]
