"""Landing a batch: all of it in one transaction, or none of it."""

from datetime import date

import duckdb
import polars as pl
import pytest

from orchestration.paths import DDL_DIR
from orchestration.sources.base import PRICES_SCHEMA, RAW_SCHEMAS, RawBatch
from orchestration.warehouse import landing
from orchestration.warehouse.screening import DateWindow

TODAY = DateWindow(earliest=date(1980, 1, 1), today=date(2024, 6, 28))


def prices(*closes: float) -> pl.DataFrame:
    """One ticker's bars on consecutive January days."""
    return pl.DataFrame(
        {
            "ticker": ["AAA"] * len(closes),
            "date": [date(2024, 1, 2 + i) for i in range(len(closes))],
            "open": list(closes),
            "high": list(closes),
            "low": list(closes),
            "close": list(closes),
            "volume": [100] * len(closes),
            "unadjusted_close": [None] * len(closes),
        },
        schema=PRICES_SCHEMA,
    )


@pytest.fixture
def con(tmp_path):
    """A warehouse with the raw DDL applied."""
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    for ddl in sorted(DDL_DIR.glob("*.sql")):
        connection.execute(ddl.read_text())
    yield connection
    connection.close()


def count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def test_counts_inserted_updated_unchanged(con):
    first = landing.land_batch(con, RawBatch(prices=prices(10, 11)), "test", TODAY)
    assert (first.tables["prices"].inserted, first.tables["prices"].updated) == (2, 0)
    second = landing.land_batch(con, RawBatch(prices=prices(10, 12, 13)), "test", TODAY)
    load = second.tables["prices"]
    assert (load.inserted, load.updated, load.unchanged) == (1, 1, 1)
    assert count(con, "raw.prices") == 3


def test_failure_half_way_leaves_raw_tables_as_they_were(con, monkeypatch):
    landing.land_batch(con, RawBatch(prices=prices(10, 11)), "test", TODAY)
    before = con.execute("SELECT * FROM raw.prices ORDER BY date").fetchall()

    def broken_record(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(landing, "_record_load", broken_record)
    with pytest.raises(RuntimeError, match="disk full"):
        landing.land_batch(con, RawBatch(prices=prices(20, 21, 22, -1)), "test", TODAY)
    assert con.execute("SELECT * FROM raw.prices ORDER BY date").fetchall() == before
    assert count(con, "raw.quarantine") == 0
    assert count(con, "raw.loads") == len(RAW_SCHEMAS)


def test_quarantine_keeps_one_copy_of_a_reason_across_reruns(con):
    batch = RawBatch(prices=prices(10, -1))
    landing.land_batch(con, batch, "test", TODAY)
    landing.land_batch(con, batch, "test", TODAY)
    assert count(con, "raw.quarantine") == 1


def test_each_load_counts_the_quarantine_rows_it_wrote(con):
    """A reload of the same file rejects the same row again: raw.quarantine keeps the one
    copy, with the first load's id, and each load's count matches the rows with its id."""
    batch = RawBatch(prices=prices(10, -1, 12))
    first = landing.land_batch(con, batch, "test", TODAY)
    second = landing.land_batch(con, RawBatch(prices=prices(10, -1, 12, -2)), "test", TODAY)
    loads = con.execute(
        "SELECT load_id, received, inserted + updated + unchanged, quarantined, "
        "quarantined_before FROM raw.loads WHERE table_name = 'prices' ORDER BY started_at"
    ).fetchall()
    assert [row[1:] for row in loads] == [(3, 2, 1, 0), (4, 2, 1, 1)]
    by_load = dict(
        con.execute("SELECT load_id, count(*) FROM raw.quarantine GROUP BY load_id").fetchall()
    )
    assert by_load == {first.load_id: 1, second.load_id: 1}
    assert [load_id for load_id, *_ in loads] == [first.load_id, second.load_id]


def test_a_column_not_given_keeps_the_stored_values(con):
    stored = prices(10, 11).with_columns(pl.lit(20.0).alias("unadjusted_close"))
    landing.land_batch(con, RawBatch(prices=stored), "test", TODAY)
    without = RawBatch(prices=prices(10, 11, 12), absent={"prices": ("unadjusted_close",)})
    load = landing.land_batch(con, without, "test", TODAY).tables["prices"]
    assert (load.inserted, load.updated, load.unchanged) == (1, 0, 2)
    kept = con.execute("SELECT unadjusted_close FROM raw.prices ORDER BY date").fetchall()
    assert kept == [(20.0,), (20.0,), (None,)]


def test_nan_and_infinity_never_replace_a_stored_value(con):
    landing.land_batch(con, RawBatch(prices=prices(10, 11)), "test", TODAY)
    before = con.execute("SELECT * FROM raw.prices ORDER BY date").fetchall()
    for bad in (float("nan"), float("inf")):
        load = landing.land_batch(con, RawBatch(prices=prices(bad, 11)), "test", TODAY)
        assert (load.tables["prices"].updated, load.tables["prices"].quarantined) == (0, 1)
    assert con.execute("SELECT * FROM raw.prices ORDER BY date").fetchall() == before


def members(*tickers: str) -> pl.DataFrame:
    """Small-universe members, each from 2024-01-02 on."""
    return pl.DataFrame(
        {
            "universe": "small",
            "ticker": list(tickers),
            "valid_from": date(2024, 1, 2),
            "valid_to": None,
            "name": [f"{t} Inc" for t in tickers],
            "sector": "Energy",
        },
        schema=RAW_SCHEMAS["members"],
    )


def test_a_table_delivered_complete_loses_what_the_batch_lacks(con):
    """A live source derives the membership afresh each run: a ticker found renamed since
    (OLD became NEW) leaves no stale row behind, while the prices it did not bring stay."""
    landing.land_batch(
        con, RawBatch(prices=prices(10, 11), members=members("AAA", "OLD")), "test", TODAY
    )

    report = landing.land_batch(
        con, RawBatch(members=members("AAA", "NEW"), complete=("members",)), "test", TODAY
    )

    assert con.execute("SELECT ticker FROM raw.members ORDER BY 1").fetchall() == [
        ("AAA",),
        ("NEW",),
    ]
    assert (report.tables["members"].removed, report.tables["prices"].removed) == (1, 0)
    assert count(con, "raw.prices") == 2
