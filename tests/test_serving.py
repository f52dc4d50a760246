"""The serving file: published whole after the marts, readable while the next run writes.

Readers run in other processes: within one process, DuckDB shares one database instance
per file path, so a second connection there would not show what a BI tool sees.
"""

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import sqlalchemy

from orchestration.definitions import defs
from orchestration.defs.assets.serving import serving_file
from orchestration.defs.resources import Warehouse
from orchestration.outputs import serving_file as serving
from orchestration.outputs.serving_file import (
    RECORD_TABLE,
    STORAGE_VERSION,
    ServingBusy,
    analyst_views,
    publish_serving_file,
    serving_path_for,
)
from orchestration.paths import PROJECT_ROOT
from tests.conftest import materialize_into, read_only_query

SAMPLE = {"CAPGAP_SAMPLE_MEMBERS": "80", "CAPGAP_SAMPLE_YEARS": "2"}
# The first version stops two sessions before the sample's end; the next run reaches it.
EARLIER = {**SAMPLE, "CAPGAP_SAMPLE_THROUGH": "2026-11-18"}
MARTS = {
    "breadth_daily",
    "sector_breadth_daily",
    "divergence_daily",
    "rotation_daily",
    "liquidity_daily",
    "rates_daily",
    "risk_appetite_daily",
    "concentration_daily",
    "earnings_daily",
    "rate_sensitivity",
    "small_cap_movers",
    "market_regime",
    "signal_days",
    "signal_events",
    "signal_scorecard",
}
VIEWS = sorted((PROJECT_ROOT / "sql" / "views").glob("*.sql"))

READER = """
import duckdb, json, pathlib, sys, time

path, mode, stop, out = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), sys.argv[4]


def observe(con):
    recorded = con.execute(
        "SELECT object, row_count, market_date, published_at FROM serving.published"
    ).fetchall()
    actual = {o: con.execute(f"SELECT count(*) FROM {o}").fetchall()[0][0] for o, *_ in recorded}
    (latest,) = con.execute("SELECT max(date) FROM marts.market_regime").fetchall()[0]
    versions = {(str(market_date), str(at)) for _, _, market_date, at in recorded}
    consistent = (
        len(versions) == 1
        and all(actual[o] == rows for o, rows, *_ in recorded)
        and str(latest) == str(recorded[0][2])
    )
    return {"version": sorted(versions), "consistent": consistent, "at": time.time()}


held = duckdb.connect(path, read_only=True) if mode == "hold" else None
print("ready", flush=True)
with open(out, "w") as log:
    while not stop.exists():
        try:
            if held is not None:
                seen = observe(held)
            else:
                with duckdb.connect(path, read_only=True) as con:
                    seen = observe(con)
        except Exception as error:
            seen = {"error": repr(error), "at": time.time()}
        log.write(json.dumps(seen) + "\\n")
        time.sleep(0.005)
"""

KILLED_PUBLISH = """
import os, signal, sys
from pathlib import Path
from orchestration.outputs import serving_file as serving
from orchestration.defs.resources import Warehouse

def killed(con, view):
    os.kill(os.getpid(), signal.SIGKILL)

serving._create_view = killed
warehouse = Warehouse(path=sys.argv[1])
with warehouse.connect() as con:
    serving.publish_serving_file(con, Path(sys.argv[2]))
"""

HOLD_READ_WRITE = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(60)
"""


def publish(warehouse: Path) -> dg.ExecuteInProcessResult:
    """Materialize the serving file from a built warehouse."""
    return dg.materialize([serving_file], resources={"warehouse": Warehouse(path=str(warehouse))})


def version(path: Path) -> tuple:
    """(market_date, published_at) of a serving file, from a fresh read-only connection."""
    versions = read_only_query(
        path, f"SELECT DISTINCT market_date, published_at FROM {RECORD_TABLE}"
    )
    assert len(versions) == 1, versions
    return versions[0]


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every table's and view's rows, sorted."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [row[0] for row in con.execute(f"SELECT object FROM {RECORD_TABLE}").fetchall()]
        return {
            name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in names
        }


def leftovers(path: Path) -> list[str]:
    """Files beside the serving file other than itself: tmp files and WALs."""
    return sorted(p.name for p in path.parent.glob(f"{path.name}*") if p != path)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A warehouse built through 2026-11-18, its serving file published by the run."""
    warehouse = tmp_path_factory.mktemp("built") / "capgap.duckdb"
    materialize_into(warehouse, **EARLIER)
    return warehouse


@pytest.fixture
def warehouse(built, tmp_path) -> Path:
    """A copy of the built warehouse for one test, its serving file published."""
    copy = tmp_path / "capgap.duckdb"
    shutil.copy(built, copy)
    assert publish(copy).success
    return copy


def test_serving_path_sits_beside_the_warehouse():
    assert serving_path_for("data/capgap.duckdb") == Path("data/capgap_serving.duckdb")
    assert serving_path_for("/x/w.db") == Path("/x/w.db_serving.duckdb")


def test_the_asset_follows_every_mart():
    assert serving_file.key == dg.AssetKey(["serving", "file"])
    assert serving_file.group_names_by_key[serving_file.key] == "serving"
    assert serving_file.specs_by_key[serving_file.key].kinds == {"duckdb"}
    deps = {dep.asset_key for dep in serving_file.specs_by_key[serving_file.key].deps}
    assert deps == {dg.AssetKey(["marts", name]) for name in MARTS}
    registered = {key for a in defs.assets for key in a.keys if key.path[0] == "marts"}
    assert deps == registered


@pytest.mark.parametrize("view", VIEWS, ids=lambda p: p.stem)
def test_each_view_is_documented_and_runs_on_the_warehouse(built, view):
    header = [line for line in view.read_text().splitlines() if line.startswith("--")]
    assert header and header[0].startswith(f"-- views.{view.stem}:")
    assert any("Grain:" in line for line in header)
    assert read_only_query(built, view.read_text())


def test_the_serving_file_holds_the_marts_views_and_record(warehouse):
    path = serving_path_for(warehouse)
    assert leftovers(path) == []
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        views = con.execute(
            "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
        recorded = con.execute(
            f"SELECT object, kind, row_count, market_date, warehouse FROM {RECORD_TABLE}"
        ).fetchall()
        (tags,) = con.execute(
            "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()[0]
        (comment,) = con.execute(
            "SELECT comment FROM duckdb_columns() "
            "WHERE table_name = 'breadth_daily' AND column_name = 'net_advances'"
        ).fetchall()[0]
        for name, _, rows, *_ in recorded:
            assert con.execute(f"SELECT count(*) FROM {name}").fetchall() == [(rows,)], name
        settings = con.execute("SELECT * FROM meta.settings ORDER BY ALL").fetchall()
    assert set(tables) == {("marts", name) for name in MARTS} | {
        ("serving", "published"),
        ("meta", "settings"),
    }
    assert settings == read_only_query(
        warehouse, "SELECT * FROM meta.settings WHERE table_name LIKE 'marts.%' ORDER BY ALL"
    )
    assert ("marts.market_regime", "breadth_breakout_pct_above_sma50", "60.0") in settings
    assert {(schema, name) for schema, name, _ in views} == {
        ("views", view.name) for view in analyst_views()
    }
    assert all("serving_next" not in sql for *_, sql in views)
    assert {name for name, *_ in recorded} == {f"marts.{m}" for m in MARTS} | {
        f"views.{v.stem}" for v in VIEWS
    } | {"meta.settings"}
    assert {(market_date, source) for *_, market_date, source in recorded} == {
        (
            read_only_query(warehouse, "SELECT max(date) FROM marts.market_regime")[0][0],
            str(warehouse),
        )
    }
    assert all(rows > 0 for _, _, rows, *_ in recorded)
    assert tags["storage_version"].startswith(STORAGE_VERSION)
    assert comment == "advancers - decliners"


def test_readers_see_one_whole_version_while_the_next_run_publishes(warehouse, tmp_path):
    path = serving_path_for(warehouse)
    before = version(path)
    stop = tmp_path / "stop"
    readers = {}
    for mode in ("hold", "reopen"):
        out = tmp_path / f"{mode}.jsonl"
        process = subprocess.Popen(
            [sys.executable, "-c", READER, str(path), mode, str(stop), str(out)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout.readline().strip() == "ready"
        readers[mode] = (process, out)
    try:
        started = time.time()
        assert materialize_into(warehouse, **SAMPLE).success  # the run publishes the file
        published = time.time()
        time.sleep(1.0)
    finally:
        stop.touch()
        for process, _ in readers.values():
            process.wait(timeout=30)
    after = version(path)
    assert after[0] > before[0], "the second run reaches two more sessions"

    seen = {
        mode: [json.loads(line) for line in out.read_text().splitlines()]
        for mode, (_, out) in readers.items()
    }
    for mode, observations in seen.items():
        assert [o for o in observations if "error" in o] == [], mode
        assert all(o["consistent"] for o in observations), mode
        assert sum(started < o["at"] < published for o in observations) > 20, mode
    old, new = [[str(v) for v in before]], [[str(v) for v in after]]
    held = [o["version"] for o in seen["hold"]]
    assert held and all(v == old for v in held), "an open connection keeps its version"
    assert seen["hold"][-1]["at"] > published
    reopened = [o["version"] for o in seen["reopen"]]
    switches = [i for i in range(1, len(reopened)) if reopened[i] != reopened[i - 1]]
    assert reopened[0] == old and reopened[-1] == new and len(switches) == 1, (
        "a new connection sees the old version until the new one is published, then only it"
    )
    assert leftovers(path) == []


def test_a_publish_failing_half_way_leaves_the_old_file(warehouse, monkeypatch):
    path = serving_path_for(warehouse)
    inode, before, rows = path.stat().st_ino, version(path), contents(path)
    written = []

    def fail(con, view):
        written.extend(path.parent.glob(f"{path.name}.tmp-*"))
        raise RuntimeError("publish interrupted")

    monkeypatch.setattr(serving, "_create_view", fail)
    result = dg.materialize(
        [serving_file],
        resources={"warehouse": Warehouse(path=str(warehouse))},
        raise_on_error=False,
    )
    assert not result.success
    assert written, "the marts were being written to a tmp file when it failed"
    assert path.stat().st_ino == inode and version(path) == before and contents(path) == rows
    assert leftovers(path) == []


def test_a_killed_publish_leaves_the_old_file_and_the_next_cleans_up(warehouse):
    path = serving_path_for(warehouse)
    before, rows = version(path), contents(path)
    killed = subprocess.Popen(
        [sys.executable, "-c", KILLED_PUBLISH, str(warehouse), str(path)],
        cwd=PROJECT_ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, errors = killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL, errors[-2000:]
    assert f"{path.name}.tmp-{killed.pid}" in leftovers(path)
    assert version(path) == before and contents(path) == rows

    assert publish(warehouse).success
    assert leftovers(path) == []
    assert contents(path) == rows


def test_republishing_is_idempotent(warehouse):
    path = serving_path_for(warehouse)
    first_version, first_rows = version(path), contents(path)
    assert publish(warehouse).success
    second_version, second_rows = version(path), contents(path)
    assert second_rows == first_rows
    assert second_version[0] == first_version[0] and second_version[1] > first_version[1]
    assert leftovers(path) == []


def test_a_stale_wal_beside_the_serving_file_is_removed(warehouse):
    """A client that opened the serving file read-write and died leaves a WAL that DuckDB
    would replay against the next file ("WAL does not match database file")."""
    path = serving_path_for(warehouse)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
            "con.execute('CREATE TABLE main.scratch AS SELECT 1 AS x'); os._exit(0)",
            str(path),
        ],
        check=True,
    )
    assert leftovers(path) == [f"{path.name}.wal"]
    assert publish(warehouse).success
    assert leftovers(path) == []
    assert read_only_query(path, "SELECT count(*) FROM views.latest_day") == [(1,)]


def test_a_client_holding_the_serving_file_read_write_stops_the_publish(warehouse):
    path = serving_path_for(warehouse)
    before = version(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_READ_WRITE, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with Warehouse(path=str(warehouse)).connect() as con, pytest.raises(ServingBusy) as raised:
            publish_serving_file(con, path)
    finally:
        holder.kill()
        holder.wait()
    assert "open read-write by another process" in str(raised.value)
    assert version(path) == before
    assert not any(".tmp-" in name for name in leftovers(path))


DUCKDB_CLI = Path(sys.executable).parent / "duckdb"  # duckdb-cli, a dev dependency
LATEST_DAY = "SELECT date, regime FROM views.latest_day"


def test_bi_clients_read_the_serving_file_read_only(warehouse):
    path = serving_path_for(warehouse)
    latest = "SELECT date, regime FROM views.latest_day"
    want = read_only_query(warehouse, "SELECT max(date) FROM marts.market_regime")[0][0]

    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute(latest).fetchall()[0][0] == want

    engine = sqlalchemy.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
    try:
        with engine.connect() as con:
            assert con.execute(sqlalchemy.text(latest)).fetchall()[0][0] == want
            first = con.execute(sqlalchemy.text(f"SELECT max(published_at) FROM {RECORD_TABLE}"))
            first = first.scalar()
        # A pooled connection keeps the version it opened: the pool must be recycled
        # (engine.dispose(), pool_recycle) to see a newer publish.
        assert publish(warehouse).success
        with engine.connect() as con:
            pooled = con.execute(sqlalchemy.text(f"SELECT max(published_at) FROM {RECORD_TABLE}"))
            assert pooled.scalar() == first
        engine.dispose()
        with engine.connect() as con:
            fresh = con.execute(sqlalchemy.text(f"SELECT max(published_at) FROM {RECORD_TABLE}"))
            assert fresh.scalar() > first
    finally:
        engine.dispose()


def test_the_duckdb_cli_reads_the_serving_file(warehouse):
    assert DUCKDB_CLI.exists(), "the duckdb CLI comes with the dev extras: run make setup"
    path = serving_path_for(warehouse)
    want = read_only_query(warehouse, "SELECT max(date) FROM marts.market_regime")[0][0]
    shown = subprocess.run(
        [
            str(DUCKDB_CLI),
            "-readonly",
            str(path),
            "-csv",
            "-c",
            "SELECT date, regime FROM views.latest_day",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == "date,regime"
    assert shown.stdout.splitlines()[1].startswith(f"{want},")
