"""The per-ticker staging tables built by bucket of tickers, through Dagster, into Parquet:
the warehouse they give equals the single-node one bit for bit, whatever the number of
buckets, on a first build, an incremental one and a switch between the two layouts; a
bucket whose blocking check fails publishes nothing, and a run that stopped half-way
leaves only whole files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import orchestration.warehouse.buckets as buckets_module
from orchestration.warehouse.buckets import bucket_file, bucket_of, bucketed_models
from orchestration.warehouse.validation import Outcome
from tests.conftest import EDGE_MARKET, FAULTY_MARKET, materialize_into

SAMPLE = {"CAPGAP_SAMPLE_MEMBERS": "80", "CAPGAP_SAMPLE_YEARS": "2"}
MARKETS = {
    "sample": SAMPLE,
    "edge": {"CAPGAP_SOURCE": "files", "CAPGAP_FILES_DIR": str(EDGE_MARKET)},
    "faulty": {"CAPGAP_SOURCE": "files", "CAPGAP_FILES_DIR": str(FAULTY_MARKET)},
}
BUCKET_COUNTS = (1, 3, 7)


def bucketed(tmp_path: Path, buckets: int, **env: str) -> dict[str, str]:
    """The environment of a bucketed build whose dataset is under `tmp_path`."""
    return {"CAPGAP_BUCKETS": str(buckets), "CAPGAP_DATASET": str(tmp_path / "dataset"), **env}


def published(warehouse: Path) -> dict[str, pl.DataFrame]:
    """Every staging and mart table or view, its rows in one order."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('staging', 'marts') ORDER BY 1"
        ).fetchall()
        return {name: con.sql(f"SELECT * FROM {name} ORDER BY ALL").pl() for (name,) in names}


def assert_same_warehouse(actual: Path, expected: Path) -> None:
    got, want = published(actual), published(expected)
    assert sorted(got) == sorted(want)
    for name, frame in want.items():
        assert_frame_equal(got[name], frame, check_exact=True)


def relation_types(warehouse: Path) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = ", ".join(f"'{model.name}'" for model in bucketed_models())
        return {
            kind
            for (kind,) in con.execute(
                "SELECT table_type FROM information_schema.tables "
                f"WHERE table_schema = 'staging' AND table_name IN ({tables})"
            ).fetchall()
        }


def builds(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("SELECT table_name, mode FROM meta.builds").fetchall())


@pytest.fixture(scope="module")
def single_node(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each market built once on one node, the staging tables in the warehouse file."""
    warehouses = {}
    for market, env in MARKETS.items():
        warehouses[market] = tmp_path_factory.mktemp(market) / "w.duckdb"
        materialize_into(warehouses[market], **env)
    return warehouses


@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("buckets", BUCKET_COUNTS)
def test_a_bucketed_build_equals_the_single_node_warehouse(
    single_node: dict[str, Path], tmp_path: Path, market: str, buckets: int
) -> None:
    warehouse = tmp_path / "w.duckdb"
    materialize_into(warehouse, **bucketed(tmp_path, buckets, **MARKETS[market]))
    assert relation_types(warehouse) == {"VIEW"}
    assert_same_warehouse(warehouse, single_node[market])


def test_each_bucket_holds_its_own_tickers_in_whole_files(tmp_path: Path) -> None:
    materialize_into(tmp_path / "w.duckdb", **bucketed(tmp_path, 3, **SAMPLE))
    dataset = tmp_path / "dataset"
    with duckdb.connect() as con:
        for model in bucketed_models():
            for bucket in range(3):
                (wrong, rows) = con.execute(
                    f"SELECT count(*) FILTER (WHERE {bucket_of('ticker', 3)} <> {bucket}), "
                    f"count(*) FROM '{bucket_file(dataset, model.table, bucket, 3)}'"
                ).fetchall()[0]
                assert wrong == 0 and rows > 0
    left = sorted(p.relative_to(dataset).as_posix() for p in dataset.rglob("*") if p.is_file())
    assert left == sorted(
        bucket_file(Path(), model.table, bucket, 3).as_posix()
        for model in bucketed_models()
        for bucket in range(3)
    )


def test_an_evening_run_rebuilds_each_bucket_incrementally(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A day more, then a re-run: each bucket rebuilds what changed, and the warehouse
    equals a single-node one fed the same days."""
    days = [{**SAMPLE, "CAPGAP_SAMPLE_THROUGH": day} for day in ("2026-11-18", "2026-11-19")]
    single = tmp_path_factory.mktemp("single") / "w.duckdb"
    warehouse = tmp_path / "w.duckdb"
    for env in days:
        materialize_into(single, **env)
        materialize_into(warehouse, **bucketed(tmp_path, 3, **env))
    assert {builds(warehouse)[model.table] for model in bucketed_models()} == {"incremental"}
    assert_same_warehouse(warehouse, single)
    materialize_into(warehouse, **bucketed(tmp_path, 3, **days[-1]))
    assert_same_warehouse(warehouse, single)


def test_switching_layouts_rebuilds_in_full_and_changes_nothing(
    single_node: dict[str, Path], tmp_path: Path
) -> None:
    """Single node, then 3 buckets, then 2, then single node again: each change of layout
    is a full build of the per-ticker tables, and every table stays the same."""
    warehouse = tmp_path / "w.duckdb"
    materialize_into(warehouse, **SAMPLE)
    for buckets in (3, 2):
        materialize_into(warehouse, **bucketed(tmp_path, buckets, **SAMPLE))
        assert relation_types(warehouse) == {"VIEW"}
        assert {builds(warehouse)[model.table] for model in bucketed_models()} == {"full"}
        assert_same_warehouse(warehouse, single_node["sample"])
    materialize_into(warehouse, **SAMPLE)
    assert relation_types(warehouse) == {"BASE TABLE"}
    assert_same_warehouse(warehouse, single_node["sample"])


def test_a_bucket_failing_a_blocking_check_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "w.duckdb"
    materialize_into(warehouse, **bucketed(tmp_path, 3, **SAMPLE))
    before = published(warehouse)
    files = [bucket_file(tmp_path / "dataset", "staging.price_series", b, 3) for b in range(3)]
    written = [file.stat().st_mtime_ns for file in files]
    real_checks = buckets_module.run_checks

    def duplicated_key_in_bucket_1(con, checks, table, *args, **kwargs) -> list[Outcome]:
        outcomes = real_checks(con, checks, table, *args, **kwargs)
        (bucket,) = con.execute("SELECT getvariable('failing_bucket')").fetchall()[0]
        if bucket != 1 or "price_series" not in table:
            return outcomes
        return [
            Outcome(o.check, False, o.checked_rows, 1, None, [0], {0: {"ticker": "X"}})
            if o.check.name == "key_unique"
            else o
            for o in outcomes
        ]

    real_open = buckets_module._open_inputs

    def open_inputs(con, task) -> None:
        real_open(con, task)
        con.execute(f"SET VARIABLE failing_bucket = {task.bucket}")

    monkeypatch.setattr(buckets_module, "run_checks", duplicated_key_in_bucket_1)
    monkeypatch.setattr(buckets_module, "_open_inputs", open_inputs)
    result = materialize_into(
        warehouse, raise_on_error=False, **bucketed(tmp_path, 3, **SAMPLE), rebuild={"full": True}
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "bucketed_staging.publish_buckets"
    description = failure.event_specific_data.user_failure_data.description
    assert description.startswith("staging.price_series was not published")
    assert files[1].stat().st_mtime_ns == written[1]
    monkeypatch.undo()
    assert all(before[name].equals(frame) for name, frame in published(warehouse).items())


def test_a_run_stopped_mid_write_leaves_whole_buckets_and_the_next_run_cleans_up(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    materialize_into(warehouse, **bucketed(tmp_path, 3, **SAMPLE))
    before = published(warehouse)
    target = bucket_file(tmp_path / "dataset", "staging.price_series", 2, 3)
    unfinished = target.with_name(f".{target.name}.999.partial")
    unfinished.write_bytes(b"PAR1 cut short")
    assert all(before[name].equals(frame) for name, frame in published(warehouse).items())
    materialize_into(warehouse, **bucketed(tmp_path, 3, **SAMPLE))
    assert not unfinished.exists()
    assert all(before[name].equals(frame) for name, frame in published(warehouse).items())


def test_capgap_run_fans_the_buckets_out_to_parallel_processes(tmp_path: Path) -> None:
    """`capgap run` with buckets runs each step in its own process (the multiprocess
    executor), and the warehouse it gives equals an in-process bucketed build."""
    env = {**SAMPLE, "CAPGAP_SAMPLE_MEMBERS": "60", "CAPGAP_SAMPLE_YEARS": "1"}
    in_process = tmp_path / "in_process" / "w.duckdb"
    materialize_into(in_process, **bucketed(in_process.parent, 2, **env))
    fanned = tmp_path / "fanned" / "w.duckdb"
    run_env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CAPGAP_WAREHOUSE": str(fanned),
        **bucketed(fanned.parent, 2, **env),
        "CAPGAP_WORKERS": "2",
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("capgap")), "run"],
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "STEP_WORKER_STARTED" in done.stderr
    assert "bucket 2 of 2" in done.stderr
    assert "materialized every asset" in done.stdout
    assert_same_warehouse(fanned, in_process)
