"""Formulation -> weighing sheet: grams of each chemical for a batch mass.

Equations (all wt% are of the whole solution, ``m`` the batch mass in g):

* additive ``a``: ``w_a`` = its number, or the value of the parameter it names;
* mixture component ``c`` with value ``x_c`` in a mixture of total ``X``:
  ``w_c = (100 - Σ w_a) · x_c / X`` (the components share what the additives leave, in their ratio);
* a split component made of chemicals 1 and 2 with mole fraction ``f`` of chemical 2 and molar
  masses ``M1``, ``M2``: mass fraction of 2 in the component ``f·M2 / (f·M2 + (1-f)·M1)``;
* mass ``m_i = m · w_i / 100`` and amount ``n_i = m_i / M_i`` (mmol, where M is known).

At the paper's formulation (MEMA:SN:salt 30:50:20, LiDFOB 0.05 mol/mol, FEC 5 wt%, AIBN 1 wt%) the
sheet gives LiTFSI:LiDFOB = 19:1 mol.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .errors import DataError, path_error
from .spec import CampaignSpec, RecipeSpec


def weighing_sheet(spec: CampaignSpec, batch: pd.DataFrame, batch_mass_g: float) -> pd.DataFrame:
    """Long table, one row per formulation and chemical.

    Columns: ``id`` (when ``batch`` has one), ``chemical``, ``role`` (component, split, additive),
    ``wt_pct`` (of the whole solution), ``mass_g``, ``molar_mass_g_mol`` and ``amount_mmol`` (NaN
    where no molar mass is declared). A value that cannot be weighed (a negative amount, additives
    of 100 wt% or more, a mole fraction outside [0, 1]) is a :class:`DataError`.
    """
    if not batch_mass_g > 0:
        raise DataError(f"batch_mass_g must be > 0 g, got {batch_mass_g}")
    recipe = spec.recipe or RecipeSpec()
    rows = []
    ids = batch["id"] if "id" in batch.columns else pd.Series([None] * len(batch), index=batch.index)
    for idx, row in batch.iterrows():
        for chem, role, wt, molar_mass in _chemicals(spec, recipe, row):
            mass = batch_mass_g * wt / 100.0
            rows.append(
                {
                    "id": ids[idx],
                    "chemical": chem,
                    "role": role,
                    "wt_pct": wt,
                    "mass_g": mass,
                    "molar_mass_g_mol": molar_mass,
                    "amount_mmol": 1000.0 * mass / molar_mass if molar_mass else float("nan"),
                }
            )
    sheet = pd.DataFrame(rows)
    return sheet if "id" in batch.columns else sheet.drop(columns="id")


def _chemicals(
    spec: CampaignSpec, recipe: RecipeSpec, row: pd.Series
) -> Iterator[tuple[str, str, float, float | None]]:
    """Yield (chemical, role, wt% of whole solution, molar mass or None) for one formulation."""
    additives = {chem: float(row[v]) if isinstance(v, str) else float(v) for chem, v in recipe.additives.items()}
    for comp in spec.components:
        if not float(row[comp]) >= 0:
            raise DataError(f"{comp}: a mixture component must be >= 0 {spec.mixture.unit}, got {row[comp]}")
    for chem, wt in additives.items():
        if not wt >= 0:
            raise DataError(f"{chem}: an additive must be >= 0 wt%, got {wt:g}")
    rest = 100.0 - sum(additives.values())
    if rest <= 0:
        raise DataError(f"additives add up to {100 - rest:g} wt%, leaving nothing for the mixture")
    total = spec.mixture.total
    for comp in spec.components:
        wt = rest * float(row[comp]) / total
        split = recipe.split.get(comp)
        if split is None:
            yield comp, "component", wt, None
            continue
        (chem1, m1), (chem2, m2) = split.molar_mass_g_mol.items()
        f = float(row[split.by])
        if not 0.0 <= f <= 1.0:
            raise DataError(f"{split.by}: a mole fraction must lie in [0, 1], got {f:g}")
        w2 = f * m2 / (f * m2 + (1.0 - f) * m1) if wt > 0 else 0.0
        yield chem1, f"split of {comp}", wt * (1.0 - w2), m1
        yield chem2, f"split of {comp}", wt * w2, m2
    for chem, wt in additives.items():
        yield chem, "additive", wt, None


def weighing_wide(sheet: pd.DataFrame) -> pd.DataFrame:
    """One row per formulation, one ``<chemical>_g`` column per chemical (in recipe order).

    Keyed by ``id`` when the sheet has one; otherwise the formulations keep their order (every
    formulation lists every chemical once, so row ``i`` of the sheet belongs to formulation
    ``i // number of chemicals``).
    """
    order = list(dict.fromkeys(sheet["chemical"]))
    keyed = "id" in sheet.columns
    key = sheet["id"] if keyed else pd.Series(range(len(sheet)), index=sheet.index) // len(order)
    wide = sheet.assign(_key=key.to_numpy()).pivot(index="_key", columns="chemical", values="mass_g")
    wide = wide.loc[list(dict.fromkeys(key)), order]  # formulations in sheet order
    wide.columns = [f"{c}_g" for c in order]
    wide = wide.reset_index(drop=not keyed)
    return wide.rename(columns={"_key": "id"})


def molar_ratio(sheet: pd.DataFrame, a: str, b: str) -> float:
    """Amount ratio n_a / n_b of two chemicals in a one-formulation sheet."""
    n = sheet.set_index("chemical")["amount_mmol"]
    return float(n[a] / n[b])


def write_batch(batch: pd.DataFrame, path: str | Path, sheet: pd.DataFrame | None = None) -> Path:
    """Write a proposal batch (and its weighing sheet) as CSV or XLSX, chosen by the suffix.

    CSV: the batch with one ``<chemical>_g`` column per chemical. XLSX: a ``batch`` sheet and a
    ``weighing`` sheet (the long table, one row per formulation and chemical).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise DataError(f"{path}: expected a .csv or .xlsx file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            if sheet is None:
                table = batch
            elif "id" in batch.columns:
                table = batch.merge(weighing_wide(sheet), on="id", how="left")
            else:
                table = pd.concat([batch.reset_index(drop=True), weighing_wide(sheet)], axis=1)
            table.to_csv(path, index=False)
        else:
            with pd.ExcelWriter(path, engine="openpyxl") as xl:
                batch.to_excel(xl, sheet_name="batch", index=False)
                if sheet is not None:
                    sheet.to_excel(xl, sheet_name="weighing", index=False)
    except OSError as exc:
        raise path_error(path, exc, "write the batch") from None
    return path
