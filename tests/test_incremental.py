"""Incremental runs equal a full rebuild, bit for bit, in every staging and mart table.

The sample market is replayed day by day (`CAPGAP_SAMPLE_THROUGH` moves on one session
per run) across days with a split, a membership exit and a joiner; the warehouse built
that way, a range re-run of it and a full backfill of it must each hold exactly what one
full build through the last day holds.
"""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from orchestration.sources.sample.source import DEFAULT_END, generate
from orchestration.warehouse.contracts import load_models
from tests.conftest import FAULTY_MARKET, materialize_into

SAMPLE = {"CAPGAP_SAMPLE_MEMBERS": "80", "CAPGAP_SAMPLE_YEARS": "2"}
DAYS_REPLAYED = 6
FAULTY_PRICES = FAULTY_MARKET / "prices.csv"
MODELS = load_models()


def tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    """Every staging and mart table, rows in key order."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            m.table: con.sql(f"SELECT * FROM {m.table} ORDER BY {', '.join(m.key)}").pl()
            for m in MODELS
        }


def assert_same_tables(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> None:
    differing = []
    for table, frame in want.items():
        try:
            assert_frame_equal(got[table], frame, check_exact=True)
        except AssertionError as error:
            differing.append(f"{table}: {error}")
    assert not differing, "\n".join(differing)


def replayed_days() -> list[date]:
    """Consecutive sessions ending after the latest day with a split, an exit and a joiner
    all behind it, so the replay crosses each."""
    market = generate(80, 2, 42, DEFAULT_END)
    sessions = market.prices.get_column("date").unique().sort().to_list()
    splits = market.actions.filter(pl.col("kind") == "split").get_column("date")
    exits = market.members.get_column("valid_to").drop_nulls()
    joins = market.members.get_column("valid_from")
    recent = sessions[-120]
    last_event = max(min(d for d in events if d >= recent) for events in (splits, exits, joins))
    end = sessions.index(last_event) + 2
    return sessions[end - DAYS_REPLAYED : end]


@pytest.fixture(scope="module")
def days() -> list[date]:
    return replayed_days()


@pytest.fixture(scope="module")
def full_build(tmp_path_factory, days) -> dict[str, pl.DataFrame]:
    """One build of the whole history through the last replayed day."""
    warehouse = tmp_path_factory.mktemp("full") / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SAMPLE_THROUGH=days[-1].isoformat(), **SAMPLE)
    return tables(warehouse)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory, days) -> Path:
    """A warehouse built through the day before the replay, then run once per day."""
    warehouse = tmp_path_factory.mktemp("replayed") / "w.duckdb"
    for day in days:
        materialize_into(warehouse, CAPGAP_SAMPLE_THROUGH=day.isoformat(), **SAMPLE)
    return warehouse


def builds(warehouse: Path) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT table_name, mode, rebuilt_from FROM meta.builds").fetchall()
    return {table: (mode, rebuilt_from) for table, mode, rebuilt_from in rows}


def test_the_replay_crosses_a_split_an_exit_and_a_joiner(days):
    market = generate(80, 2, 42, DEFAULT_END)
    crossed = pl.Series(days[1:])
    assert market.actions.filter(pl.col("kind") == "split")["date"].is_in(crossed).any()
    assert market.members["valid_to"].is_in(crossed).any()
    assert market.members["valid_from"].is_in(crossed).any()


def test_day_by_day_equals_a_full_build(replayed, full_build):
    assert_same_tables(tables(replayed), full_build)


def test_the_last_day_was_built_incrementally(replayed, days):
    built = builds(replayed)
    assert built["staging.price_series"][0] == "incremental"
    assert built["staging.member_prices"][0] == "incremental"


def test_the_split_during_the_replay_rebased_its_ticker_s_whole_history(replayed, days):
    """The sample adjusts its history as of the day fetched: on the day of the split, every
    earlier bar of that ticker came back re-based and was fetched, and stored, again."""
    market = generate(80, 2, 42, DEFAULT_END)
    split = market.actions.filter(
        (pl.col("kind") == "split") & pl.col("date").is_in(pl.Series(days[1:]))
    ).row(0, named=True)
    with duckdb.connect(str(replayed), read_only=True) as con:
        revised, stored = con.execute(
            "SELECT count(*) FILTER (WHERE loaded_at > (SELECT min(started_at) FROM raw.loads)),"
            " count(*) FROM raw.prices WHERE ticker = ? AND date < ?",
            [split["ticker"], days[0]],
        ).fetchall()[0]
    assert revised == stored > 200


def test_a_range_rerun_equals_a_full_build(replayed, full_build, days):
    materialize_into(
        replayed,
        rebuild={"from_date": "2026-03-02"},
        CAPGAP_SAMPLE_THROUGH=days[-1].isoformat(),
        **SAMPLE,
    )
    assert builds(replayed)["staging.price_series"] == ("incremental", date(2026, 3, 2))
    assert_same_tables(tables(replayed), full_build)


def test_a_full_backfill_equals_a_full_build(replayed, full_build, days):
    materialize_into(
        replayed, rebuild={"full": True}, CAPGAP_SAMPLE_THROUGH=days[-1].isoformat(), **SAMPLE
    )
    assert builds(replayed)["staging.price_series"][0] == "full"
    assert_same_tables(tables(replayed), full_build)


def test_a_run_with_nothing_new_rebuilds_no_staging_row(replayed, days):
    materialize_into(replayed, CAPGAP_SAMPLE_THROUGH=days[-1].isoformat(), **SAMPLE)
    with duckdb.connect(str(replayed), read_only=True) as con:
        rebuilt = dict(con.execute("SELECT table_name, rows_rebuilt FROM meta.builds").fetchall())
    assert rebuilt == {"staging.price_series": 0, "staging.member_prices": 0}


def test_a_table_built_alone_does_not_skip_what_its_inputs_missed(tmp_path, full_build, days):
    """Loading raw, then materializing staging/member_prices alone (as the UI allows), then
    a daily run: member_prices was built on a price_series that had not consumed the load,
    so it must rebuild those rows once price_series has."""
    warehouse = tmp_path / "w.duckdb"
    through = {"CAPGAP_SAMPLE_THROUGH": days[-1].isoformat(), **SAMPLE}
    materialize_into(warehouse, CAPGAP_SAMPLE_THROUGH=days[-2].isoformat(), **SAMPLE)
    materialize_into(warehouse, selection=dg.AssetSelection.groups("ingest"), **through)
    materialize_into(
        warehouse, selection=dg.AssetSelection.keys("staging/member_prices"), **through
    )
    materialize_into(warehouse, **through)
    assert_same_tables(tables(warehouse), full_build)


# Each dated file of a market and the column that says when a row was known.
KNOWN_ON = {"prices": "date", "rates": "date", "actions": "date", "weights": "as_of",
            "fundamentals": "available_on"}  # fmt: skip


def _files_through(source: Path, target: Path, last: date) -> Path:
    """The files of `source` with the rows known by `last` (bars, rates and actions by
    date, weights by snapshot, fundamentals by publication)."""
    target.mkdir(parents=True, exist_ok=True)
    for name, column in KNOWN_ON.items():
        text = (source / f"{name}.csv").read_text().splitlines()
        at = text[0].split(",").index(column)
        kept = [line for line in text[1:] if date.fromisoformat(line.split(",")[at]) <= last]
        (target / f"{name}.csv").write_text("\n".join([text[0], *kept]) + "\n")
    (target / "members.csv").write_text((source / "members.csv").read_text())
    return target


def test_faults_judged_again_as_days_arrive_equal_a_full_build(tmp_path, faulty_warehouse):
    """Replaying faulty_market run by run, a fault's span changes as bars arrive (a misprint
    held out from its jump until it reverts; a level shift held out from the jump, then,
    once it has held, the history before it left out instead): the rows each change leaves
    or takes back are rebuilt downstream, so the end equals one build of everything."""
    sessions = sorted(
        {date.fromisoformat(line[:10]) for line in FAULTY_PRICES.read_text().splitlines()[1:]}
    )
    warehouse = tmp_path / "w.duckdb"
    spans_seen = set()
    for day in (89, 91, 95, 155, 175, len(sessions) - 1):
        files = _files_through(FAULTY_MARKET, tmp_path / f"through-{day}", sessions[day])
        materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
        with duckdb.connect(str(warehouse), read_only=True) as con:
            spans_seen |= set(
                con.execute("SELECT ticker, span FROM staging.price_exclusions").fetchall()
            )
    assert {("FPRINT", "since_jump"), ("FPRINT", "reverted")} <= spans_seen
    assert {("FREV15", "since_jump"), ("FREV15", "history_before")} <= spans_seen
    assert builds(warehouse)["staging.member_prices"][0] == "incremental"
    assert_same_tables(tables(warehouse), tables(faulty_warehouse))
