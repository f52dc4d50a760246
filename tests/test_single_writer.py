"""One writer at a time: a second process or run waits for the warehouse, then fails clearly;
a path or file that cannot hold a warehouse is refused before anything is written."""

import fcntl
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli import failure_lines
from orchestration.defs.resources import MarketSource, Warehouse, WarehouseBusy
from orchestration.defs.settings import resources_from_env
from orchestration.warehouse.warehouse_file import hold_run_lock, lock_path
from tests.conftest import all_assets

HOLD = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
"""


def hold(path, mode: str, seconds: float) -> subprocess.Popen:
    """Another process that opens the warehouse and keeps it open."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "holding"
    return process


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse(path=str(path)).connect():
        pass
    return path


def test_a_reader_holding_the_file_gives_a_clear_error(warehouse):
    reader = hold(warehouse, "ro", 30)
    try:
        with (
            pytest.raises(WarehouseBusy) as raised,
            Warehouse(path=str(warehouse), lock_wait_seconds=1).connect(),
        ):
            pass
    finally:
        reader.kill()
    message = raised.value.description
    assert f"the warehouse {warehouse} is in use by another process" in message
    assert "read-only, like a BI tool" in message
    assert isinstance(raised.value, dg.Failure)


def test_the_second_writer_waits_for_the_first(warehouse):
    writer = hold(warehouse, "rw", 2)
    with Warehouse(path=str(warehouse), lock_wait_seconds=30).connect() as con:
        assert con.execute("SELECT 1").fetchall() == [(1,)]
    # The first writer held the file to its end: it was waited for, not interrupted. (Its
    # lock is released as its process exits, a moment before the process can be reaped, so
    # asking whether it has ended right after connecting would race.)
    assert writer.wait(timeout=60) == 0


def test_the_warehouse_connection_bounds_duckdb_memory(warehouse):
    with Warehouse(path=str(warehouse), memory_limit="512MB").connect() as con:
        (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchall()[0]
    assert limit == "488.2 MiB"


# --- one run at a time, and only a whole file -------------------------------------------


class LockProbingSource(MarketSource):
    """The small sample, which records whether the run lock is held while it fetches."""

    warehouse: str

    def build(self):
        source = super().build()
        fetch = source.fetch

        def probed(request):
            with lock_path(Path(self.warehouse)).open("a") as other:
                try:
                    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    PROBES.append("free")
                except BlockingIOError:
                    PROBES.append("held")
            return fetch(request)

        source.fetch = probed
        return source


PROBES: list[str] = []
SMALL = {"sample_members": 30, "sample_years": 1}


def run_on(path: Path, lock_wait_seconds: float = 60.0, **source) -> dg.ExecuteInProcessResult:
    resources = resources_from_env({"CAPGAP_WAREHOUSE": str(path)})
    resources["warehouse"] = Warehouse(path=str(path), lock_wait_seconds=lock_wait_seconds)
    resources["market_source"] = source.pop("market_source", MarketSource(**SMALL))
    return dg.materialize(
        all_assets(),
        selection=dg.AssetSelection.groups("ingest"),
        resources=resources,
        raise_on_error=False,
    )


def test_a_run_holds_the_warehouse_from_start_to_end(tmp_path):
    path = tmp_path / "w.duckdb"
    PROBES.clear()
    source = LockProbingSource(warehouse=str(path), **SMALL)
    assert run_on(path, market_source=source).success
    assert PROBES == ["held"]
    with lock_path(path).open("a") as after:
        fcntl.flock(after, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_second_run_waits_then_fails_naming_the_first(tmp_path):
    path = tmp_path / "w.duckdb"
    first = hold_run_lock(path, "first-run-id", 0, print)
    try:
        result = run_on(path, lock_wait_seconds=0.2)
    finally:
        first.close()
    assert not result.success
    said = " ".join(failure_lines(result))
    assert f"the warehouse {path} is being written by another run" in said
    assert "run first-run-id, process" in said
    assert not path.exists(), "the second run wrote nothing"


@pytest.mark.parametrize("setting", ["", ":memory:", ":memory:other"])
def test_a_path_that_cannot_hold_a_warehouse_is_refused(setting):
    with pytest.raises(dg.Failure, match="the warehouse must be a file"):
        Warehouse(path=setting).connect().__enter__()


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(dg.Failure, match="is a directory; name a file in it"):
        Warehouse(path=str(tmp_path)).connect().__enter__()


def stored_twice(path: Path) -> None:
    """A warehouse whose catalog was rewritten before its last data: cut at 3/4, DuckDB
    still opens it (and would write into it) though the data lost its end."""
    with Warehouse(path=str(path)).connect() as con:
        for table in ("raw.first", "raw.second"):
            con.execute(
                f"CREATE TABLE {table} AS SELECT range AS i, random() AS r FROM range(2e6::INT)"
            )
            con.execute("CHECKPOINT")
        con.execute("DROP TABLE raw.first")
        con.execute("CHECKPOINT")


@pytest.mark.parametrize("kept", [0.75, 0.25, 100])
def test_a_warehouse_cut_short_is_refused_and_left_as_it_was(tmp_path, kept):
    path = tmp_path / "w.duckdb"
    stored_twice(path)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(int(size * kept) if kept < 1 else int(kept))
    cut = path.read_bytes()
    result = run_on(path)
    assert not result.success
    said = " ".join(failure_lines(result))
    assert f"the warehouse {path} is cut short" in said
    assert "Restore it from a copy, or move it away" in said
    assert path.read_bytes() == cut


def test_a_file_that_is_not_duckdb_is_refused(tmp_path):
    path = tmp_path / "w.duckdb"
    path.write_text("date,ticker,close\n" * 2000)
    result = run_on(path)
    assert not result.success
    assert "is not a DuckDB database file" in " ".join(failure_lines(result))
