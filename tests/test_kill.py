"""A run killed with SIGKILL mid-load or mid-build leaves a warehouse that a re-run repairs.

Each load is one transaction, each table is published by an atomic swap, and an
incremental table replaces its rebuilt rows and records what it consumed in one
transaction, so whatever the moment of the kill (in a first build or in an evening run
on a warehouse a day behind), the file opens, no raw row is duplicated or half-written,
and the next run gives marts equal to a clean build.
"""

import math
import os
import signal
import subprocess
import sys
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from orchestration.sources.sample.source import DEFAULT_END
from orchestration.warehouse.contracts import load_models
from orchestration.warehouse.trading_calendar import nyse_sessions
from tests.conftest import materialize_into, read_only_query

SAMPLE = {"CAPGAP_SAMPLE_MEMBERS": "300", "CAPGAP_SAMPLE_YEARS": "3"}
CAPGAP = str(Path(sys.executable).parent / "capgap")
MARTS = [m.table for m in load_models() if m.layer == "marts"]
# Log lines after which the run is killed: while landing the raw tables, while building a
# staging table, while building the marts.
KILL_AFTER = ["brought", "built staging.price_series", "built marts.breadth_daily"]


def same_rows(got: list[tuple], want: list[tuple]) -> bool:
    """Equal rows, floats to 1e-12 relative: DuckDB's parallel sums may differ in the last bit."""
    return len(got) == len(want) and all(
        len(g) == len(w)
        and all(
            math.isclose(a, b, rel_tol=1e-12)
            if isinstance(a, float) and isinstance(b, float)
            else a == b
            for a, b in zip(g, w, strict=True)
        )
        for g, w in zip(got, want, strict=True)
    )


def capgap_run(warehouse: Path) -> subprocess.Popen:
    """`capgap run` on the test sample, in its own process, its log on stdout."""
    env = {**os.environ, **SAMPLE, "CAPGAP_WAREHOUSE": str(warehouse)}
    env.pop("CAPGAP_SAMPLE_THROUGH", None)
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen(
        [CAPGAP, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.fixture(scope="module")
def clean_marts(tmp_path_factory) -> dict[str, list[tuple]]:
    """Every mart of a clean build of the test sample."""
    warehouse = tmp_path_factory.mktemp("clean") / "w.duckdb"
    materialize_into(warehouse, **SAMPLE)
    return {
        table: read_only_query(warehouse, f"SELECT * FROM {table} ORDER BY ALL") for table in MARTS
    }


@pytest.mark.parametrize("incremental", [False, True], ids=["first-build", "evening-run"])
@pytest.mark.parametrize("kill_after", KILL_AFTER)
def test_a_killed_run_is_repaired_by_the_next(tmp_path, clean_marts, kill_after, incremental):
    warehouse = tmp_path / "w.duckdb"
    if incremental:  # the warehouse is a day behind: the killed run is an incremental one
        *_, day_before, _ = nyse_sessions(DEFAULT_END - timedelta(days=10), DEFAULT_END)
        materialize_into(warehouse, CAPGAP_SAMPLE_THROUGH=day_before.isoformat(), **SAMPLE)
    run = capgap_run(warehouse)
    for line in run.stdout:
        if kill_after in line:
            run.send_signal(signal.SIGKILL)
            break
    run.wait(timeout=120)
    assert run.returncode == -signal.SIGKILL, "the run ended before it could be killed"

    query = partial(read_only_query, warehouse)
    duplicated = query(
        "SELECT count(*) FROM (SELECT ticker, date FROM raw.prices GROUP BY ALL"
        " HAVING count(*) > 1)"
    )
    assert duplicated == [(0,)]
    landed = query("SELECT count(*) FROM raw.prices")[0][0]
    loads = query("SELECT coalesce(sum(inserted), 0) FROM raw.loads WHERE table_name = 'prices'")
    assert loads == [(landed,)], "raw.prices holds exactly what the recorded loads inserted"

    rerun = capgap_run(warehouse)
    output, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, output[-2000:]
    for table, rows in clean_marts.items():
        assert same_rows(query(f"SELECT * FROM {table} ORDER BY ALL"), rows), table
    leftovers = query(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%__candidate'"
    )
    assert leftovers == []
