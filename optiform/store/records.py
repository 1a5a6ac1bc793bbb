"""Plain data the store takes and gives: no ORM rows leave :mod:`optiform.store`."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class CampaignRecord:
    """A stored campaign: its id in the store, name, spec (the JSON dict of the latest version) and
    proposal seed; ``spec_version`` numbers that spec (1, 2, ...) and ``source`` is the campaign file
    it was read from (None when it came from Python)."""

    id: int
    name: str
    spec: dict[str, Any]
    seed: int
    spec_version: int = 1
    source: str | None = None


@dataclass(frozen=True)
class NewMeasurement:
    """One measurement to record.

    ``label`` names an existing formulation; for a new outside formulation (a literature point) it
    is None and ``new_values`` holds its variables, rows with the same ``new_key`` sharing one new
    formulation. ``where`` locates the row for messages (``results.csv: line 3``)."""

    label: str | None
    replicate: int
    status: str
    note: str
    values: dict[str, float]
    where: str = ""
    new_values: dict[str, Any] | None = None
    new_key: Hashable | None = None


@dataclass
class RecordOutcome:
    """What :meth:`Store.add_measurements` stored: how many, which inputs were duplicates (their
    index in the input), and the labels given to new outside formulations (by ``new_key``)."""

    added: int = 0
    duplicates: list[int] = field(default_factory=list)
    new_labels: dict[Hashable, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawFile:
    """An instrument file: content, its name as the user gave it, sha256 of the content, and its
    role in an analysis (``eis``, ``ca``, ``eis_before``, ...)."""

    name: str
    content: bytes
    sha256: str
    role: str


@dataclass(frozen=True)
class NewAnalysis:
    """One derived quantity of an ingested group, with its method, flags (``failing``), details
    (``result``, JSON-able), the temperature it refers to and its raw files."""

    quantity: str
    value: float
    uncertainty: float | None
    temperature_C: float | None
    method: str
    failing: bool
    result: dict[str, Any]
    files: list[RawFile]


@dataclass(frozen=True)
class IngestedGroup:
    """A group of raw files analysed together: it becomes one new measurement (the next replicate)
    of formulation ``label`` with ``values``, and one analysis per derived quantity."""

    label: str
    kind: str
    group: str
    status: str
    note: str
    values: dict[str, float]
    analyses: list[NewAnalysis]
    where: str = ""


def cancelled_text(when: Any, reason: str | None) -> str:
    """``cancelled 2025-05-01 14:02 UTC: reason`` for messages."""
    stamp = pd.Timestamp(when)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"cancelled {stamp:%Y-%m-%d %H:%M} UTC" + (f": {reason}" if reason else "")


def cancelled_message(label: str, cancelled_at: datetime | Any, reason: str | None) -> str:
    """Why a cancelled formulation takes no results."""
    return f"sample {label} was {cancelled_text(cancelled_at, reason)}; a cancelled formulation cannot receive results"
