"""Changing a campaign: check a new version of its spec against the data stored under the old one,
say what changed in words, and store it as the next spec version (one transaction).

Accepted: bounds widened or narrowed (formulations now outside stay as data, marked in the
``outside`` column), components and parameters added (a parameter needs ``existing = VALUE`` when
formulations are stored: the value they had; a component added later was 0 in them), objectives,
outcome constraints, known constraints, the recipe, the strategy and its options, the model.
Refused, naming the rows: a changed name; a changed mixture unit or total once results exist; a
removed component, parameter or categorical choice that measured formulations have; a parameter
changed between continuous and categorical once measured formulations have it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .errors import DataError
from .space import Space
from .spec import CampaignSpec, CategoricalParameter, ContinuousParameter
from .store import Store

MAX_NAMED = 10  # ids named in a message before "and N more"


@dataclass
class UpdateReport:
    """What :meth:`Campaign.update` did: the campaign's spec version now, the changes in words
    (empty: nothing changed, no version stored) and the formulations the new spec leaves outside
    (``"F0003: SN = 70 > max 60"``; kept as data, marked in the ``outside`` column)."""

    campaign: str
    version: int
    changes: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def __str__(self) -> str:
        if not self.changes:
            return f"campaign {self.campaign}: nothing changed (the spec is version {self.version} as stored)"
        lines = [f"campaign {self.campaign}: spec version {self.version} stored", *(f"  {c}" for c in self.changes)]
        if self.outside:
            lines.append(
                f"{len(self.outside)} formulation(s) lie outside the new spec (kept as data, marked in the "
                "'outside' column):"
            )
            lines += [f"  {line}" for line in self.outside[:MAX_NAMED]]
            if len(self.outside) > MAX_NAMED:
                lines.append(f"  and {len(self.outside) - MAX_NAMED} more")
        return "\n".join(lines)


def update_campaign(
    store: Store,
    name: str,
    new: CampaignSpec,
    source: str | None = None,
    author: str | None = None,
    note: str = "",
    origin: str = "campaign",
) -> UpdateReport:
    """Check ``new`` against campaign ``name``'s stored data and latest spec, then store it as the
    next version (read from the file ``source``). DataError, nothing stored, listing every change
    the stored data contradicts (``origin`` names the file in messages)."""
    record = store.campaign(name)
    old = CampaignSpec.model_validate(record.spec)
    stored = store.formulations(record.id)
    measured = set(store.measurements(record.id)["label"])
    problems = check_update(old, new, stored, measured, origin)
    if problems:
        raise DataError("\n".join(problems))
    if new.model_dump(mode="json") == old.model_dump(mode="json"):
        return UpdateReport(record.name, record.spec_version)
    version = store.update_campaign(record.id, new.model_dump(mode="json"), source=source, author=author, note=note)
    space = Space(new)
    live = stored[stored["cancelled_at"].isna()]
    table = space.read(live["values"])
    reasons = space.outside(table)
    outside = [f"{label}: {why}" for label, why in zip(live["label"], reasons) if why]
    return UpdateReport(record.name, version, describe_changes(old, new), outside)


def check_update(
    old: CampaignSpec, new: CampaignSpec, stored: pd.DataFrame, measured: set[str], origin: str = "campaign"
) -> list[str]:
    """Every change from ``old`` to ``new`` that the stored formulations (``Store.formulations``)
    contradict, one message each; ``measured`` holds the labels with measurements."""
    problems: list[str] = []
    if new.name != old.name:
        problems.append(
            f"{origin}: name: {new.name!r} is not this campaign's name {old.name!r}; a campaign's name cannot "
            "change (start a new campaign with 'optiform init')"
        )
    rows = list(zip(stored["label"], stored["values"])) if len(stored) else []
    made = [(label, values) for label, values in rows if label in measured]
    old_space = Space(old)
    for key in ("unit", "total"):
        before, after = getattr(old.mixture, key), getattr(new.mixture, key)
        if before != after and made:
            problems.append(
                f"{origin}: mixture.{key}: {_text(before)} -> {_text(after)} would change what the amounts of "
                f"{len(made)} measured formulation(s) mean; start a new campaign for it"
            )
    for comp in old.components:
        if comp in new.mixture.components:
            continue
        using = [label for label, values in made if _number(values.get(comp, 0.0)) != 0.0]
        if using:
            problems.append(
                f"{origin}: mixture.components: removing {comp} contradicts the measurements of "
                f"{name_some(using)} (they contain {comp}); keep it, with max = 0 to stop proposing it"
            )
    for name, param in old.parameters.items():
        with_value = [label for label, values in made if _given(values, name, old_space)]
        after = new.parameters.get(name)
        if after is None:
            if with_value:
                problems.append(
                    f"{origin}: parameters: removing {name} contradicts the measurements of {name_some(with_value)} "
                    f"(they have a value for it)"
                )
        elif type(after) is not type(param):
            if with_value:
                problems.append(
                    f"{origin}: parameters.{name}: changing it from {_kind(param)} to {_kind(after)} contradicts the "
                    f"measurements of {name_some(with_value)}"
                )
        elif isinstance(param, CategoricalParameter) and isinstance(after, CategoricalParameter):
            for choice in param.choices:
                if choice in after.choices:
                    continue
                using = [label for label, values in made if values.get(name, old_space.absent_value(name)) == choice]
                if using:
                    problems.append(
                        f"{origin}: parameters.{name}.choices: removing {choice!r} contradicts the measurements of "
                        f"{name_some(using)} (made with {name} = {choice})"
                    )
    for name, param in new.parameters.items():
        if param.existing is not None:
            continue
        before = [label for label, values in rows if name not in values]
        if before:
            example = f'"{param.choices[0]}"' if isinstance(param, CategoricalParameter) else "VALUE"
            problems.append(
                f"{origin}: parameters.{name}: {len(before)} formulation(s) were stored without it "
                f"({name_some(before)}); say what they had: add existing = {example} to its table"
            )
    return problems


def describe_changes(old: CampaignSpec, new: CampaignSpec) -> list[str]:
    """The changes from ``old`` to ``new`` in words, one line each: bounds widened or narrowed,
    components and parameters added (with the value older formulations read) or removed, choices,
    objectives, outcome and known constraints added or removed, and any other key changed
    (``strategy.options.num_restarts: 8 -> 16``)."""
    out: list[str] = []
    unit = new.mixture.unit
    for comp in old.components:
        if comp not in new.mixture.components:
            out.append(f"component {comp} removed")
        else:
            out += _bounds_change(comp, old.mixture.bounds(comp), new.mixture.bounds(comp), f" {unit}")
    for comp in new.components:
        if comp not in old.mixture.components:
            lo, hi = new.mixture.bounds(comp)
            out.append(f"component {comp} added, [{lo:g}, {hi:g}] {unit}; formulations stored before read {comp} = 0")
    for name, param in old.parameters.items():
        after = new.parameters.get(name)
        if after is None:
            out.append(f"parameter {name} removed")
        elif type(after) is not type(param):
            out.append(f"parameter {name} changed from {_kind(param)} to {_kind(after)}")
        elif isinstance(param, ContinuousParameter) and isinstance(after, ContinuousParameter):
            out += _bounds_change(name, (param.min, param.max), (after.min, after.max), _unit(after))
            out += _key_changes(name, param, after, ("resolution", "unit", "existing"))
        elif isinstance(param, CategoricalParameter) and isinstance(after, CategoricalParameter):
            out += [f"{name}: choice {c!r} added" for c in after.choices if c not in param.choices]
            out += [f"{name}: choice {c!r} removed" for c in param.choices if c not in after.choices]
            out += _key_changes(name, param, after, ("existing",))
    for name, param in new.parameters.items():
        if name not in old.parameters:
            if isinstance(param, ContinuousParameter):
                what = f"[{param.min:g}, {param.max:g}]{_unit(param)}"
            else:
                what = f"choices {', '.join(param.choices)}"
            read = (
                f"formulations stored before read {name} = {_text(param.existing)}"
                if param.existing is not None
                else ""
            )
            out.append(f"parameter {name} added, {what}" + (f"; {read}" if read else ""))
    out += _list_changes(
        "objective", [o.model_dump() for o in old.objectives], [o.model_dump() for o in new.objectives]
    )
    out += _list_changes(
        "outcome constraint",
        [c.model_dump() for c in old.outcome_constraints],
        [c.model_dump() for c in new.outcome_constraints],
    )
    out += [f'constraint "{c}" added' for c in new.constraints if c not in old.constraints]
    out += [f'constraint "{c}" removed' for c in old.constraints if c not in new.constraints]
    handled = {"mixture.components", "parameters", "objectives", "outcome_constraints", "constraints"}
    before = _flatten(old.model_dump(mode="json"), handled)
    after_flat = _flatten(new.model_dump(mode="json"), handled)
    for key in dict.fromkeys([*before, *after_flat]):
        a, b = before.get(key), after_flat.get(key)
        if a != b:
            out.append(f"{key}: {_text(a)} -> {_text(b)}")
    return out


def name_some(items: Iterable[str]) -> str:
    """The first ``MAX_NAMED`` items joined by commas, then ``and N more``."""
    items = list(items)
    shown = ", ".join(items[:MAX_NAMED])
    return shown + (f" and {len(items) - MAX_NAMED} more" if len(items) > MAX_NAMED else "")


# --- helpers ------------------------------------------------------------------------------------
def _given(values: Mapping[str, Any], name: str, space: Space) -> bool:
    """Whether a stored formulation has a value for parameter ``name`` (its own, or ``existing``)."""
    value = values[name] if name in values else space.absent_value(name)
    return value is not None


def _number(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v


def _kind(param: ContinuousParameter | CategoricalParameter) -> str:
    return "categorical" if isinstance(param, CategoricalParameter) else "continuous"


def _unit(param: ContinuousParameter) -> str:
    return f" {param.unit}" if param.unit else ""


def _text(value: Any) -> str:
    if value is None:
        return "unset"
    if value == "":
        return '""'
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _bounds_change(name: str, before: tuple[float, float], after: tuple[float, float], unit: str) -> list[str]:
    if before == after:
        return []
    (lo0, hi0), (lo1, hi1) = before, after
    if lo1 <= lo0 and hi1 >= hi0:
        how = "widened"
    elif lo1 >= lo0 and hi1 <= hi0:
        how = "narrowed"
    else:
        how = "moved"
    return [f"{name}: [{lo0:g}, {hi0:g}] -> [{lo1:g}, {hi1:g}]{unit} ({how})"]


def _key_changes(name: str, before: Any, after: Any, keys: tuple[str, ...]) -> list[str]:
    return [
        f"{name}: {key} {_text(getattr(before, key))} -> {_text(getattr(after, key))}"
        for key in keys
        if getattr(before, key) != getattr(after, key)
    ]


def _list_changes(what: str, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    """Tables named by ``name`` (objectives, outcome constraints): added, removed, changed."""
    old = {d["name"]: d for d in before}
    new = {d["name"]: d for d in after}
    out = []
    for name, d in new.items():
        if name not in old:
            out.append(f"{what} {name} added ({_describe(d)})")
        elif d != old[name]:
            out.append(f"{what} {name}: {_describe(old[name])} -> {_describe(d)}")
    out += [f"{what} {name} removed" for name in old if name not in new]
    return out


def _describe(table: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {_text(v)}" for k, v in table.items() if k != "name" and v is not None) or "defaults"


def _flatten(data: Any, skip: set[str], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as ``{"a.b.c": value}``; lists kept whole; keys in ``skip`` and None values left out."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if path in skip or value is None:  # None: unset (a table or key left out)
            continue
        if isinstance(value, dict):
            out.update(_flatten(value, skip, f"{path}."))
        else:
            out[path] = value
    return out
