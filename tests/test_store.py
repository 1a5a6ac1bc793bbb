"""The store: Alembic migrations from every released schema (files written by those releases), the
tables the migrations build, databases that are not optiform stores, and plain data out."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from optiform import Campaign, StoreError
from optiform.store import SCHEMA_VERSION, CampaignRecord, IngestedGroup, Store, source_key
from optiform.store.schema import Base

STORES = Path(__file__).parent / "data" / "stores"
# name -> what the release wrote (see tests/data/stores/make_legacy_stores.py)
LEGACY = {
    "schema1-early": "schema version 1 before raw files (no campaigns.seed, no analyses)",
    "schema1": "schema version 1 with raw files and analyses",
    "schema2": "schema version 2 (cancelled proposals)",
    "schema3": "schema version 3 (history, what was made), written by 0.3.0 before source keys",
}


def _copy(name: str, tmp_path: Path) -> str:
    path = tmp_path / f"{name}.db"
    shutil.copy(STORES / f"{name}.db", path)
    return f"sqlite:///{path}"


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return revision


@pytest.mark.parametrize("name", list(LEGACY))
def test_released_store_is_upgraded_and_reads_as_before(name: str, tmp_path: Path) -> None:
    url = _copy(name, tmp_path)
    c = Campaign.open(url)
    assert c.store.schema_version == SCHEMA_VERSION
    assert _revision(url) == f"{SCHEMA_VERSION:04d}"
    expected = pd.read_csv(STORES / f"{name}.data.csv", dtype={"id": str}, keep_default_na=False, na_values=[""])
    got = c.data()
    assert [col for col in got.columns if col in set(expected.columns)] == list(expected.columns)  # new ones may follow
    for column in expected.columns:
        if pd.api.types.is_numeric_dtype(expected[column]):
            np.testing.assert_allclose(
                pd.to_numeric(got[column]).to_numpy(float), expected[column].to_numpy(float), rtol=0, atol=0
            )
        else:
            assert list(got[column].fillna("").astype(str)) == list(expected[column].fillna("").astype(str)), column
    if (STORES / f"{name}.analyses.csv").exists():
        analyses = pd.read_csv(STORES / f"{name}.analyses.csv", keep_default_na=False, na_values=[""])
        stored = c.analyses()
        assert list(stored.columns) == list(analyses.columns)
        assert stored["method"].tolist() == analyses["method"].tolist()
        np.testing.assert_allclose(stored["value"].to_numpy(float), analyses["value"].to_numpy(float), rtol=0, atol=0)
    # every campaign spec and measurement has its version 1 (schema version 3: history)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        n_measurements = db.execute("SELECT count(*) FROM measurements").fetchone()[0]
        versions = db.execute("SELECT version, action FROM measurement_versions").fetchall()
        specs = db.execute("SELECT version, spec_json FROM campaign_specs").fetchall()
        stored_spec = db.execute("SELECT spec_json FROM campaigns").fetchone()[0]
    assert len(versions) == n_measurements > 0 and {v for v, _ in versions} == {1}
    assert {a for _, a in versions} <= {"recorded", "ingested"}
    assert specs == [(1, stored_spec)]
    # the upgraded store takes new work: a proposal, a result, a cancellation
    new = c.propose(2, strategy="sobol")
    pending = [i for i in c.formulations().query("status == 'pending'")["id"] if i not in set(new["id"])]
    c.record(new[["id"]].iloc[[0]].assign(conductivity_mS_cm=0.5))
    c.cancel(new["id"].iloc[1], reason="after the upgrade")
    status = c.formulations().set_index("id")["status"]
    assert status[new["id"].iloc[0]] == "measured" and status[new["id"].iloc[1]] == "cancelled"
    assert all(status[i] == "pending" for i in pending)
    c.close()
    assert Store(url).schema_version == SCHEMA_VERSION  # opening again: nothing left to do


@pytest.mark.parametrize("name", [name for name in LEGACY if (STORES / f"{name}.analyses.csv").exists()])
def test_groups_ingested_before_schema_4_are_known_by_their_source_key(name: str, tmp_path: Path) -> None:
    """The upgrade gives an ingested measurement the key ingest computes for the same files, so the
    same files ingested again (by two stations at once, say) are not stored again."""
    url = _copy(name, tmp_path)
    c = Campaign.open(url)
    a = c.analyses()
    files = c.store.analysis_files(int(a["analysis_pk"].iloc[0]))
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        keys = db.execute("SELECT source_key FROM measurements WHERE source_key IS NOT NULL").fetchall()
    assert keys == [(source_key(a["kind"].iloc[0], [(f.sha256, f.role) for f in files]),)]
    group = IngestedGroup(a["id"].iloc[0], "eis", "another group", "ok", "", {}, [], source_key=keys[0][0])
    assert c.store.add_ingested_groups(c.id, [group]) == [None]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / files[0].name).write_bytes(files[0].content)
    inputs = c.store.analysis_result(int(a["analysis_pk"].iloc[0]))["inputs"]
    manifest = pd.DataFrame(
        {
            "id": [a["id"].iloc[0]],
            "kind": ["eis"],
            "file": [files[0].name],
            "thickness_um": [inputs["thickness_um"]],
            "area_cm2": [inputs["area_cm2"]],
            "temperature_C": [a["temperature_C"].iloc[0]],
        }
    )
    n = len(c.store.measurements(c.id))
    report = c.ingest(manifest, base_dir=raw)
    assert report.measurements == [] and len(report.unchanged) == 1
    assert len(c.store.measurements(c.id)) == n
    c.close()


def test_a_group_stored_twice_before_schema_4_keeps_its_key_on_the_first(tmp_path: Path) -> None:
    """Two ingests that raced before schema version 4 stored a group twice: the upgrade gives the
    first the key and leaves the second without one (the unique index holds), changing nothing else."""
    url = _copy("schema3", tmp_path)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        (mid,) = db.execute("SELECT DISTINCT measurement_id FROM analyses").fetchone()
        db.execute(
            "INSERT INTO measurements (formulation_id, replicate, status, note, created_at) "
            "SELECT formulation_id, replicate + 1, status, note, created_at FROM measurements WHERE id = ?",
            (mid,),
        )
        (twin,) = db.execute("SELECT max(id) FROM measurements").fetchone()
        db.execute(
            'INSERT INTO analyses (measurement_id, kind, "group", quantity, value, uncertainty, temperature_C, '
            'method, failing, result, created_at) SELECT ?, kind, "group", quantity, value, uncertainty, '
            "temperature_C, method, failing, result, created_at FROM analyses WHERE measurement_id = ?",
            (twin, mid),
        )
        db.execute(
            "INSERT INTO analysis_files (analysis_id, raw_file_id, role) SELECT (SELECT max(id) FROM analyses), "
            "raw_file_id, role FROM analysis_files WHERE analysis_id = (SELECT min(id) FROM analyses)"
        )
    assert Store(url).schema_version == SCHEMA_VERSION
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        keys = dict(db.execute("SELECT id, source_key FROM measurements WHERE id IN (?, ?)", (mid, twin)).fetchall())
    assert keys[mid] is not None and keys[twin] is None


def test_migrations_build_exactly_the_tables_of_the_schema(store_url: str) -> None:
    store = Store(store_url)
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert store.schema_version == SCHEMA_VERSION


def test_a_database_of_something_else_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE samples (id INTEGER PRIMARY KEY, name TEXT)")
    before = path.read_bytes()
    for create in (True, False):
        with pytest.raises(StoreError, match=r"holds tables of something else \(samples\), not an optiform store"):
            Store(f"sqlite:///{path}", create=create)
    assert path.read_bytes() == before


def test_opening_an_empty_database_without_create_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreError, match="holds no campaign; create one with 'optiform init FILE'"):
        Campaign.open(f"sqlite:///{path}")
    assert path.stat().st_size == 0


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    with pytest.raises(StoreError) as err:
        Store(f"sqlite:///{path}")
    assert "not a database" in str(err.value) and "\n" not in str(err.value)


def test_a_folder_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        Store(f"sqlite:///{tmp_path}")


def test_store_reads_are_plain_data(store_url: str) -> None:
    store = Store(store_url)
    cid = store.add_campaign("c1", {"name": "c1", "description": "first"}, seed=7)
    assert store.campaign("c1") == CampaignRecord(
        id=cid, name="c1", spec={"name": "c1", "description": "first"}, seed=7
    )
    labels = store.add_formulations(cid, [{"A": 50.0, "B": 50.0}, {"A": 40.0, "B": 60.0}], batch=1, strategy="sobol")
    assert labels == ["F0001", "F0002"]
    assert store.add_formulations(cid, [{"A": 30.0, "B": 70.0}]) == ["F0003"]
    f = store.formulations(cid)
    assert list(f["label"]) == [*labels, "F0003"] and f["values"].iloc[0] == {"A": 50.0, "B": 50.0}
    store.cancel(cid, "F0003", "no salt")
    listing = store.campaigns()
    assert listing.to_dict("records")[0] | {"created_at": None} == {
        "name": "c1",
        "description": "first",
        "created_at": None,
        "formulations": 3,
        "measurements": 0,
        "pending": 2,
    }
    # plain data out: no ORM row in any table the store returns
    tables = [store.formulations(cid), store.measurements(cid), store.campaigns()]
    assert not [v for t in tables for v in t.to_numpy().ravel() if isinstance(v, Base)]
