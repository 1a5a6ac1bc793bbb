"""Plain data the store takes and gives: no ORM rows leave :mod:`optiform.store`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

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
    formulation. ``replicate`` is None when the user gave none (the store decides: the stored
    measurement it repeats, else the next number). ``where`` locates the row for messages
    (``results.csv: line 3``)."""

    label: str | None
    replicate: int | None
    status: str
    note: str
    values: dict[str, float]
    where: str = ""
    new_values: dict[str, Any] | None = None
    new_key: Hashable | None = None


@dataclass(frozen=True)
class AlreadyStored:
    """An input row the store already holds: its index in the input, the formulation and replicate
    that hold it, and a remark (``""``, ``"amended since"``, ``"retracted"``, ``"same as line 3"``)."""

    index: int
    label: str
    replicate: int
    remark: str = ""


class MadeFormulation(NamedTuple):
    """What was made of formulation ``label``: its variables (``values``, as the model takes them)
    and the mass of each chemical weighed (g); ``where`` locates it for messages."""

    label: str
    values: dict[str, Any]
    masses_g: dict[str, float]
    where: str = ""


@dataclass
class RecordOutcome:
    """What :meth:`Store.add_measurements` did: how many measurements it added, the input rows it
    already held (not stored again), notices for the user (a new replicate beside ones recorded by
    hand), and the labels given to new outside formulations (by ``new_key``)."""

    added: int = 0
    already_stored: list[AlreadyStored] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
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
    of formulation ``label`` with ``values``, and one analysis per derived quantity. ``source_key``
    (:func:`source_key`) identifies the group's files: the store holds a formulation's group once."""

    label: str
    kind: str
    group: str
    status: str
    note: str
    values: dict[str, float]
    analyses: list[NewAnalysis]
    where: str = ""
    source_key: str | None = None


def source_key(kind: str, files: Iterable[tuple[str, str]]) -> str:
    """The identity of an ingested group: the sha256 (hex) of its kind and the sorted (sha256 of
    the content, role) of its files. Revision 0004 computes the same for groups stored before it."""
    text = json.dumps([kind, sorted({(sha, role) for sha, role in files})])
    return hashlib.sha256(text.encode()).hexdigest()


def values_text(values: dict[str, Any], status: str = "ok", note: str = "") -> str:
    """``conductivity_mS_cm=0.61, status failed, note 'cracked'`` for messages (status only when
    not ok, note only when given)."""
    parts = [f"{q}={v:.10g}" for q, v in values.items()] or ["no value"]
    if status != "ok":
        parts.append(f"status {status}")
    if note:
        parts.append(f"note {note!r}")
    return ", ".join(parts)


def amend_command(label: str, replicate: int | str) -> str:
    """The command that corrects a stored measurement, for messages."""
    return f"'optiform amend {label} --replicate {replicate} --set NAME=VALUE --reason TEXT'"


def utc_text(when: Any) -> str:
    """``2025-05-01 14:02 UTC`` for messages (a naive time is UTC, as SQLite gives it)."""
    stamp = pd.Timestamp(when)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"{stamp:%Y-%m-%d %H:%M} UTC"


def cancelled_text(when: Any, reason: str | None) -> str:
    """``cancelled 2025-05-01 14:02 UTC: reason`` for messages."""
    return f"cancelled {utc_text(when)}" + (f": {reason}" if reason else "")


def retracted_text(when: Any, reason: str | None) -> str:
    """``retracted 2025-05-01 14:02 UTC: reason`` for messages."""
    return f"retracted {utc_text(when)}" + (f": {reason}" if reason else "")


def cancelled_message(label: str, cancelled_at: datetime | Any, reason: str | None) -> str:
    """Why a cancelled formulation takes no results."""
    return f"sample {label} was {cancelled_text(cancelled_at, reason)}; a cancelled formulation cannot receive results"
