"""One writer at a time: a second process waits for the warehouse, then fails clearly."""

import subprocess
import sys

import dagster as dg
import pytest

from orchestration.resources import Warehouse, WarehouseBusy

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
        # The lock is released only when the first writer's process ends.
        assert writer.poll() is not None
        assert con.execute("SELECT 1").fetchall() == [(1,)]


def test_the_warehouse_connection_bounds_duckdb_memory(warehouse):
    with Warehouse(path=str(warehouse), memory_limit="512MB").connect() as con:
        (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchall()[0]
    assert limit == "488.2 MiB"
