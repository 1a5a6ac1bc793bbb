"""Record what was made: a filled weighing sheet (its ``actual_g`` column) becomes the composition
actually made of each formulation, stored next to the target; the model learns from it.

Rules: the sheet's header names this campaign; every chemical of a formulation has ``actual_g`` (a
finite mass >= 0 g) or none has (the formulation is not made yet); the masses give the variables
the recipe sets by :func:`optiform.recipe.composition_from_masses` (the other variables keep their
target). Recording the same masses again is reported, not stored twice; other masses for a
formulation already made, an unknown or a cancelled formulation are errors, and nothing is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DataError
from .recipe import chemicals, composition_from_masses, read_weighing_sheet
from .spec import CampaignSpec
from .store import MadeFormulation, Store


@dataclass
class MadeReport:
    """What recording a filled weighing sheet did: formulations recorded as made (with the largest
    deviation of a mixture component from its target, in the mixture's unit), those already
    recorded with the same masses, and those whose ``actual_g`` were blank (not made yet)."""

    unit: str
    made: dict[str, tuple[str, float]] = field(default_factory=dict)  # label -> (component, |made - target|)
    already_recorded: list[str] = field(default_factory=list)
    not_made: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"recorded what was made for {len(self.made)} formulation(s)"]
        for label, (comp, dev) in self.made.items():
            lines.append(f"  {label}: largest deviation from target {dev:.3g} {self.unit} ({comp})")
        if self.already_recorded:
            lines.append(f"already recorded (same masses): {', '.join(self.already_recorded)}")
        if self.not_made:
            lines.append(f"not made yet (actual_g blank): {', '.join(self.not_made)}")
        return "\n".join(lines)


def record_made(
    store: Store,
    campaign_id: int,
    spec: CampaignSpec,
    formulations: pd.DataFrame,
    path: str | Path,
    author: str | None = None,
) -> MadeReport:
    """Validate a filled weighing sheet against campaign ``campaign_id`` whose formulations (targets
    and status, as :meth:`Campaign.formulations` gives them) are ``formulations``, then store what
    was made in one transaction (see the module docstring)."""
    header, table = read_weighing_sheet(path)
    if header["campaign"] != spec.name:
        line = list(header).index("campaign") + 1
        raise DataError(f"{path}: line {line}: the sheet is for campaign {header['campaign']!r}, not {spec.name!r}")
    known = formulations.set_index("id")
    expected = chemicals(spec)
    report = MadeReport(unit=spec.mixture.unit)
    made: list[MadeFormulation] = []
    problems: list[str] = []
    for label, rows in table.groupby("id", sort=False):
        label = str(label)
        first = int(rows.index[0])
        if label not in known.index:
            problems.append(f"{path}: line {first}: unknown sample id {label!r} in campaign {spec.name!r}")
            continue
        masses = _masses(path, label, rows, expected, problems)
        if masses is None:
            continue
        if not masses:
            report.not_made.append(label)
            continue
        target = {v: _plain(known.loc[label, v]) for v in [*spec.components, *spec.parameters]}
        try:
            values = {**target, **composition_from_masses(spec, masses)}
        except DataError as exc:
            problems.append(f"{path}: line {first}: {label}: {exc}")
            continue
        dev = max(spec.components, key=lambda c: abs(values[c] - target[c]))
        report.made[label] = (dev, abs(values[dev] - target[dev]))
        made.append(MadeFormulation(label, values, masses, f"{path}: line {first}"))
    if problems:
        raise DataError("\n".join(problems))
    report.already_recorded = store.set_made(campaign_id, made, author)
    for label in report.already_recorded:
        del report.made[label]
    return report


def _masses(
    path: str | Path, label: str, rows: pd.DataFrame, expected: list[str], problems: list[str]
) -> dict[str, float] | None:
    """The masses weighed of one formulation: {} when none is filled in, None (a problem noted)
    when the rows are not its chemicals once each or when some are filled and others not."""
    found = list(rows["chemical"])
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected or found.count(c) > 1]
    if missing or extra:
        problems.append(
            f"{path}: line {int(rows.index[0])}: {label}: expected one row for each of {', '.join(expected)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unexpected or repeated {', '.join(dict.fromkeys(extra))}" if extra else "")
        )
        return None
    actual = rows["actual_g"]
    if actual.isna().all():
        return {}
    ok = True
    for line, chem, value in zip(rows.index, rows["chemical"], actual):
        if math.isnan(value):
            problems.append(
                f"{path}: line {line}: {label} {chem}: actual_g is blank while other chemicals of {label} "
                f"are filled in; fill in every chemical of {label} or none"
            )
            ok = False
        elif not (math.isfinite(value) and value >= 0):
            problems.append(f"{path}: line {line}: {label} {chem}: actual_g must be a mass >= 0 g, got {value:g}")
            ok = False
    return {str(c): float(v) for c, v in zip(rows["chemical"], actual)} if ok else None


def _plain(value: Any) -> Any:
    """A stored variable value as the model takes it (categorical str, numbers float)."""
    return value if isinstance(value, str) else float(value)
