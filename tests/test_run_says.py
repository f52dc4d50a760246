"""What a run says: an empty or all-null mart is a warning with its reason, `capgap run`
ends a failure with one line naming the cause and lists the warnings under its summary,
settings are checked before anything runs, and the UI's previews show text as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.freshness import mart_freshness
from orchestration.defs.metadata import table_metadata
from orchestration.defs.settings import SettingsError, resources_from_env
from orchestration.warehouse.transactions import transaction
from tests.conftest import FIXTURES, all_assets

Instance = dg.DagsterInstance
GOOD_BASE = FIXTURES / "bad_inputs" / "files" / "good_base"
HEADER_ONLY = FIXTURES / "bad_inputs" / "files" / "header_only"
TWO_UNIVERSES = FIXTURES / "bad_inputs" / "files" / "ticker_in_two_universes"


def layout_without(tmp_path: Path, ticker: str) -> Path:
    """The good base without the bars of `ticker`."""
    directory = tmp_path / "layout"
    shutil.copytree(GOOD_BASE, directory)
    prices = directory / "prices.csv"
    lines = prices.read_text().splitlines()
    prices.write_text("\n".join(line for line in lines if f",{ticker}," not in line) + "\n")
    return directory


def failed_checks(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {
        f"{c.asset_key.to_user_string()} {c.check_name}": c.description or ""
        for c in result.get_asset_check_evaluations()
        if not c.passed
    }


@pytest.fixture(scope="module")
def without_small_benchmark(
    tmp_path_factory,
) -> tuple[dg.ExecuteInProcessResult, dg.DagsterInstance]:
    """A first build from the good base without ^RUT (and, like the base, without ETFs)."""
    tmp_path = tmp_path_factory.mktemp("no-rut")
    directory = layout_without(tmp_path, "^RUT")
    env = {
        "CAPGAP_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "CAPGAP_SOURCE": "files",
        "CAPGAP_FILES_DIR": str(directory),
    }
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(all_assets(), resources=resources_from_env(env), instance=instance)
    return result, instance


def test_an_empty_mart_is_a_warning_that_says_why(without_small_benchmark):
    result, _ = without_small_benchmark
    assert result.success
    failed = failed_checks(result)
    assert "the sector and style ETFs" in failed["marts/rotation_daily has_rows"]
    assert 'found [{"rows": 0}]' in failed["marts/rotation_daily has_rows"]


def test_a_mart_whose_small_side_is_all_null_is_a_warning(without_small_benchmark):
    result, _ = without_small_benchmark
    failed = failed_checks(result)
    assert (
        "without its bars every small-vs-large column is null"
        in (failed["marts/divergence_daily small_benchmark_present"])
    )


def test_freshness_reads_a_mart_without_rows(without_small_benchmark):
    _, instance = without_small_benchmark
    states = {s.asset_key.to_user_string(): s for s in mart_freshness(instance, datetime.now(UTC))}
    assert states["marts/rotation_daily"].last_date is None
    assert states["marts/breadth_daily"].last_date is not None


def capgap_run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """`capgap run` in a process of its own, on a warehouse in tmp_path, no run history."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CAPGAP_", "DAGSTER"))}
    environment |= {"CAPGAP_WAREHOUSE": str(tmp_path / "w.duckdb"), **env}
    return subprocess.run(
        [sys.executable, "-c", "from orchestration.cli import main; main()", "run"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_failed_run_ends_with_one_line_naming_the_cause(tmp_path):
    ran = capgap_run(tmp_path, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(HEADER_ONLY))
    assert ran.returncode == 1
    said = ran.stderr.strip().splitlines()
    failures = [line for line in said if line.startswith("capgap run failed")]
    assert failures == [
        f"capgap run failed: raw_tables: files source: {HEADER_ONLY / 'prices.csv'} has a "
        "header and no rows; nothing to load from it"
    ]
    assert "the traceback is in the run log of run" in said[-1]
    assert "Error occurred while executing" not in ran.stderr


def test_a_run_lists_its_warnings_under_the_summary(tmp_path):
    ran = capgap_run(tmp_path, CAPGAP_FILES_DIR=str(TWO_UNIVERSES))
    assert ran.returncode == 0, ran.stderr
    warnings = [line for line in ran.stdout.splitlines() if line.startswith("  warning: ")]
    assert any("raw/members one_universe_at_a_time" in w and "AAA" in w for w in warnings)
    assert any("marts/rotation_daily has_rows" in w for w in warnings)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"CAPGAP_SAMPLE_MEMBERS": "abc"}, "CAPGAP_SAMPLE_MEMBERS='abc' is not a whole number"),
        ({"CAPGAP_SAMPLE_END": "2026-13-01"}, "CAPGAP_SAMPLE_END='2026-13-01' is not a date"),
        ({"CAPGAP_EARLIEST_DATE": "1980"}, "CAPGAP_EARLIEST_DATE='1980' is not a date"),
        ({"CAPGAP_SOURCE": "yahooo"}, "CAPGAP_SOURCE='yahooo' is not one of sample, files"),
        (
            {"CAPGAP_SOURCE": "sample", "CAPGAP_FILES_DIR": "/tmp"},
            "CAPGAP_FILES_DIR is set but CAPGAP_SOURCE=sample",
        ),
        ({"CAPGAP_WAREHOUSE": ""}, "the warehouse must be a file"),
        ({"CAPGAP_WAREHOUSE": ":memory:"}, "the warehouse must be a file"),
        ({"CAPGAP_MEMORY_LIMIT": "lots"}, "CAPGAP_MEMORY_LIMIT='lots' is not a memory size"),
        ({"CAPGAP_BUCKETS": "-1"}, "CAPGAP_BUCKETS=-1 must be at least 0"),
        ({"CAPGAP_WORKERS": "0"}, "CAPGAP_WORKERS=0 must be at least 1"),
    ],
)
def test_settings_are_checked_before_the_run(tmp_path, env, says):
    with pytest.raises(SettingsError, match=re.escape(says)):
        resources_from_env({"CAPGAP_WAREHOUSE": str(tmp_path / "w.duckdb"), **env})


def test_a_bad_setting_stops_capgap_run_in_one_line(tmp_path):
    ran = capgap_run(tmp_path, CAPGAP_SAMPLE_MEMBERS="abc")
    assert ran.returncode == 2
    assert ran.stderr.strip().splitlines() == [
        "capgap: CAPGAP_SAMPLE_MEMBERS='abc' is not a whole number; write e.g. 2500"
    ]


def test_a_files_dir_alone_means_the_files_source(tmp_path):
    resources = resources_from_env({"CAPGAP_FILES_DIR": str(GOOD_BASE)})
    assert resources["market_source"].kind == "files"


class FailingRollback:
    """A connection whose every statement after BEGIN fails, ROLLBACK too (a full disk)."""

    def execute(self, sql: str) -> None:
        if sql != "BEGIN TRANSACTION":
            raise duckdb.IOException(f"cannot {sql}")


def test_a_failing_rollback_never_masks_the_error_that_caused_it():
    with pytest.raises(OSError, match="No space left on device"), transaction(FailingRollback()):
        raise OSError("No space left on device")


def test_previews_show_names_as_written(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute(
            "CREATE TABLE t AS SELECT DATE '2024-01-02' AS date, "
            "'A|B <b>bold</b> *x*' AS name, 'two\nlines' AS note"
        )
        preview = table_metadata(con, "t")["preview"].value
    row = preview.splitlines()[2]
    assert row.count("|") == 4, row
    assert "<b>" not in preview and "*x*" not in preview
    assert "&#124;" in row and "two lines" in row


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 3 MB file system (tmpfs, mounted as root) that a sample warehouse outgrows."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI and the dev machines run as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_named_and_the_warehouse_survives_it(small_disk, tmp_path):
    sample = {"CAPGAP_SAMPLE_MEMBERS": "60", "CAPGAP_SAMPLE_YEARS": "2"}
    ran = capgap_run(small_disk, **sample)
    assert ran.returncode == 1
    (failure,) = [line for line in ran.stderr.splitlines() if line.startswith("capgap run failed")]
    assert "No space left on device" in failure
    assert "free space on that disk" in failure
    assert "rollback" not in failure.lower()
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(small_disk / "w.duckdb", moved / "w.duckdb")
    again = capgap_run(moved, **sample)
    assert again.returncode == 0, again.stderr
