"""The `files` source, through Dagster and on its own: clear errors, quarantine with reasons,
nothing lost."""

import gzip
import logging
from datetime import date
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from orchestration.sources.base import CONTROL_CHARACTERS, FetchRequest, RawBatch, SourceError
from orchestration.sources.files import FilesSource

MEMBERS = """universe,ticker,name,sector,valid_from,valid_to
large,AAA,Alpha Corp,Energy,2024-01-02,
large,BBB,Beta Inc,Utilities,2024-01-02,
small,CCC,Gamma Co,Industrials,2024-01-02,
"""
RATES = """date,series,value
2024-01-02,ust_10y,4.10
2024-01-03,ust_10y,4.15
2024-01-01,cpi_index,308.4
"""
DATES = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]


def good_prices() -> list[str]:
    """Five days of clean bars for the benchmark and three members."""
    lines = ["date,ticker,open,high,low,close,volume,unadjusted_close"]
    for ticker, base in [
        ("^GSPC", 4700.0),
        ("^RUT", 1950.0),
        ("AAA", 50.0),
        ("BBB", 20.0),
        ("CCC", 5.0),
    ]:
        for i, day in enumerate(DATES):
            close = base + i
            lines.append(f"{day},{ticker},{close},{close + 1},{close - 1},{close},1000,")
    return lines


def write_dir(root: Path, prices: list[str], members: str = MEMBERS, rates: str = RATES) -> Path:
    """Write a `files` directory and return it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "prices.csv").write_text("\n".join(prices) + "\n")
    (root / "members.csv").write_text(members)
    (root / "rates.csv").write_text(rates)
    return root


def failure_message(result) -> str:
    """The description of the failed step of a run."""
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures, "the run was expected to fail"
    error = failures[0].step_failure_data
    return error.user_failure_data.description if error.user_failure_data else error.error.message


def test_clean_directory_builds_breadth(tmp_path, materialize, query):
    files = write_dir(tmp_path / "in", good_prices())
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    assert query("SELECT count(*) FROM raw.prices") == [(25,)]
    assert query(
        "SELECT universe, issues, advancers FROM marts.breadth_daily WHERE date = '2024-01-08'"
        " ORDER BY universe"
    ) == [("large", 2, 2), ("small", 1, 1)]


def test_missing_file_names_it(tmp_path, materialize):
    files = write_dir(tmp_path / "in", good_prices())
    (files / "members.csv").unlink()
    result = materialize(raise_on_error=False, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    assert not result.success
    assert "members.csv is missing from" in failure_message(result)


def test_wrong_header_names_file_and_columns(tmp_path, materialize):
    prices = good_prices()
    prices[0] = "date,ticker,open,high,low,price,volume,unadjusted_close"
    files = write_dir(tmp_path / "in", prices)
    result = materialize(raise_on_error=False, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    message = failure_message(result)
    assert "prices.csv lacks the column(s) close" in message
    assert "its header is date, ticker, open, high, low, price, volume, unadjusted_close" in message


def test_ragged_lines_are_quarantined(tmp_path, materialize, query):
    files = write_dir(tmp_path / "in", [*good_prices(), "2024-01-09,AAA,1,2,1,1,100,,extra"])
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    assert query("SELECT count(*) FROM raw.prices") == [(25,)]
    assert query("SELECT reason FROM raw.quarantine") == [
        ("prices.csv line 27: 9 fields where the header has 8",)
    ]


def test_header_case_and_spaces_are_forgiven(tmp_path, materialize, query):
    prices = good_prices()
    prices[0] = "Date, Ticker,Open,High,Low,Close,Volume,Unadjusted_Close"
    files = write_dir(tmp_path / "in", prices)
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    assert query("SELECT count(*) FROM raw.prices") == [(25,)]


def test_bad_rows_are_quarantined_and_good_rows_land(tmp_path, materialize, query):
    bad_rows = [
        "2024-01-09,AAA,51,52,50,abc,1000,",  # line 27: not a number
        "2024-01-09,BBB,21,22,20,-21,1000,",  # line 28: negative close
        "2024-01-08,CCC,9,9,9,9,1000,",  # line 29: conflicts with line 26 (close 9 vs 9.0)
        "01/10/2024,CCC,9,9,9,9,1000,",  # line 30: date not ISO
        "2024-01-09,CCC,9,8,10,9,1000,",  # line 31: high below low
        "2099-01-02,CCC,9,9,9,9,1000,",  # line 32: future date
        "2024-01-08,AAA,54.0,55.0,53.0,54.0,1000,",  # line 33: exact copy of line 10
    ]
    files = write_dir(tmp_path / "in", good_prices() + bad_rows)
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))

    reasons = {reason for (reason,) in query("SELECT reason FROM raw.quarantine")}
    assert {
        "prices.csv line 27: column close: 'abc' is not a number",
        "prices.csv line 30: column date: '01/10/2024' is not a date (YYYY-MM-DD)",
        "prices: close -21.0 is not > 0 (BBB 2024-01-09)",
        "prices: high 8.0 is below low 10.0 (CCC 2024-01-09)",
        "prices: the row appears 2 times; one copy kept (AAA 2024-01-08)",
    } <= reasons
    assert any(r.startswith("prices: date 2099-01-02 is after today") for r in reasons)
    conflicting = query("SELECT count(*) FROM raw.quarantine WHERE rule = 'key_unique'")
    assert conflicting == [(2,)]

    ((received, inserted, quarantined),) = query(
        "SELECT received, inserted, quarantined FROM raw.loads WHERE table_name = 'prices'"
    )
    assert received == 25 + len(bad_rows)  # every line, parsed or not
    assert (inserted, quarantined) == (24, 8)
    assert inserted + quarantined == 25 + len(bad_rows)  # nothing lost
    assert query("SELECT count(*) FROM raw.prices WHERE ticker = 'CCC'") == [(4,)]


def test_rerun_is_idempotent(tmp_path, materialize, query):
    files = write_dir(tmp_path / "in", [*good_prices(), "2024-01-09,AAA,1,1,1,-1,1,"])
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    snapshot = query("SELECT * EXCLUDE (load_id, loaded_at) FROM raw.prices ORDER BY ALL")
    breadth = query("SELECT * FROM marts.breadth_daily ORDER BY ALL")
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    assert query("SELECT * EXCLUDE (load_id, loaded_at) FROM raw.prices ORDER BY ALL") == snapshot
    assert query("SELECT * FROM marts.breadth_daily ORDER BY ALL") == breadth
    assert query("SELECT count(*) FROM raw.quarantine") == [(1,)]
    second_load = query(
        "SELECT sum(inserted), sum(updated), sum(unchanged) FROM raw.loads"
        " WHERE started_at = (SELECT max(started_at) FROM raw.loads)"
    )
    assert second_load == [(0, 0, 25 + 3 + 3)]


def test_a_revised_value_replaces_the_stored_one(tmp_path, materialize, query):
    prices = good_prices()
    files = write_dir(tmp_path / "in", prices)
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    prices[-1] = prices[-1].replace(",9.0,1000,", ",9.5,1000,")
    write_dir(files, prices)
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    assert query("SELECT close FROM raw.prices WHERE ticker = 'CCC' AND date = '2024-01-08'") == [
        (9.5,)
    ]
    assert query("SELECT count(*) FROM raw.prices") == [(25,)]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "rates.csv",
            "date,series,value\n2024-01-02,ust_99y,4.1\n",
            "series 'ust_99y' is not one of",
        ),
        (
            "rates.csv",
            "date,series,value\n2024-01-02,ust_10y,410\n",
            "value 410.0 is outside the plausible range for ust_10y",
        ),
        (
            "members.csv",
            "universe,ticker,name,sector,valid_from,valid_to\nmid,AAA,A,Energy,2024-01-02,\n",
            "universe 'mid' is not one of large, small",
        ),
        (
            "members.csv",
            "universe,ticker,name,sector,valid_from,valid_to\n"
            "large,AAA,A,Energy,2024-01-02,2023-01-01\n",
            "valid_to 2023-01-01 is before valid_from 2024-01-02",
        ),
    ],
)
def test_contract_breaks_in_other_files(tmp_path, materialize, query, name, content, expected):
    files = write_dir(tmp_path / "in", good_prices())
    (files / name).write_text(content)
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    reasons = [r for (r,) in query("SELECT reason FROM raw.quarantine")]
    assert any(expected in r for r in reasons), reasons


# --- the source alone: what it accepts, what it refuses ----------------------------------

TODAY = date(2026, 1, 5)
FIELDS_OF_PRICES = "date,ticker,open,high,low,close,volume,unadjusted_close"


def fetch(directory: Path) -> RawBatch:
    """One fetch of the `files` source, without Dagster."""
    return FilesSource(directory).fetch(FetchRequest(today=TODAY))


def refusal(directory: Path) -> str:
    """The message of the SourceError a fetch of `directory` raises."""
    with pytest.raises(SourceError) as raised:
        fetch(directory)
    return str(raised.value)


def reasons(batch: RawBatch) -> list[str]:
    """The reasons of the batch's rejects."""
    return batch.rejects.get_column("reason").to_list()


def prices_frame() -> pl.DataFrame:
    """The good prices as a typed frame, as a Parquet file would hold them."""
    return pl.read_csv("\n".join(good_prices()).encode(), try_parse_dates=True).with_columns(
        pl.col("unadjusted_close").cast(pl.Float64)
    )


def parquet_dir(root: Path, prices: pl.DataFrame) -> Path:
    """A `files` directory whose prices are `prices` in prices.parquet."""
    files = write_dir(root, good_prices())
    (files / "prices.csv").unlink()
    prices.write_parquet(files / "prices.parquet")
    return files


EXCEL_MEMBERS = (
    "\ufeffuniverse,ticker,name,sector,valid_from,valid_to\r\n"
    'large,AAA,"Apple, Inc.",Information Technology,2024-01-02,\r\n'
    "large,BBB,Beta Inc,Utilities,2024-01-02,\r\n"
    "small,CCC,Gamma Co,Industrials,2024-01-02,\r\n"
)


def test_members_saved_by_excel_load(tmp_path):
    files = write_dir(tmp_path / "in", good_prices())
    (files / "members.csv").write_bytes(EXCEL_MEMBERS.encode())
    batch = fetch(files)
    assert batch.members.get_column("name").to_list() == ["Apple, Inc.", "Beta Inc", "Gamma Co"]
    assert batch.members.get_column("universe").to_list() == ["large", "large", "small"]
    assert reasons(batch) == []


def test_an_empty_quoted_name_or_sector_is_null(tmp_path):
    files = write_dir(tmp_path / "in", good_prices())
    members = (
        "universe,ticker,name,sector,valid_from,valid_to\n"
        'large,AAA,"Alpha, Inc.","",2024-01-02,\n'
        'small,CCC,"",Industrials,2024-01-02,""\n'
    )
    (files / "members.csv").write_text(members)
    batch = fetch(files)
    assert batch.members.get_column("sector").to_list() == [None, "Industrials"]
    assert batch.members.get_column("name").to_list() == ["Alpha, Inc.", None]
    assert reasons(batch) == []


def test_a_ragged_line_in_a_bom_file_is_quarantined(tmp_path):
    files = write_dir(tmp_path / "in", good_prices())
    members = EXCEL_MEMBERS + "small,DDD,Delta Co,Energy,2024-01-02\r\n"
    (files / "members.csv").write_bytes(members.encode())
    batch = fetch(files)
    assert batch.members.height == 3
    assert reasons(batch) == ["members.csv line 5: 5 fields where the header has 6"]


def test_a_missing_column_shows_only_the_files_header(tmp_path):
    prices = [*good_prices(), "2024-01-09,AAA,1,2,1,1,100,,extra"]
    prices[0] = "date,ticker,open,high,low,price,volume,unadjusted_close"
    message = refusal(write_dir(tmp_path / "in", prices))
    assert (
        "its header is date, ticker, open, high, low, price, volume, unadjusted_close;" in message
    )
    assert "_line" not in message


def test_gzip_compressed_files_are_read(tmp_path, caplog):
    files = write_dir(tmp_path / "in", good_prices())
    (files / "prices.csv").write_bytes(gzip.compress(("\n".join(good_prices()) + "\n").encode()))
    (files / "members.csv").write_bytes(gzip.compress(EXCEL_MEMBERS.encode()))
    with caplog.at_level(logging.INFO):
        batch = fetch(files)
    assert batch.prices.height == 25
    assert batch.members.get_column("name").to_list() == ["Apple, Inc.", "Beta Inc", "Gamma Co"]
    assert reasons(batch) == []
    assert "files source: prices.csv is gzip-compressed" in caplog.text
    assert "files source: members.csv is gzip-compressed" in caplog.text


def as_pandas_timestamps(prices: pl.DataFrame, path: Path) -> None:
    """Write `prices` as pandas does by default: dates as datetime64[ns]."""
    frame = prices.to_pandas()
    frame["date"] = pd.to_datetime(frame["date"])
    frame.to_parquet(path)


def as_zoned_timestamps(prices: pl.DataFrame, path: Path) -> None:
    """Write `prices` with dates as midnight in New York (a tz-aware timestamp column)."""
    zoned = pl.col("date").cast(pl.Datetime("ns")).dt.replace_time_zone("America/New_York")
    prices.with_columns(zoned).write_parquet(path)


@pytest.mark.parametrize("write", [as_pandas_timestamps, as_zoned_timestamps])
def test_parquet_dates_written_as_timestamps_load(tmp_path, write):
    files = parquet_dir(tmp_path / "in", prices_frame())
    write(prices_frame(), files / "prices.parquet")
    batch = fetch(files)
    assert reasons(batch) == []
    assert sorted(set(batch.prices.get_column("date").cast(pl.String))) == DATES


def test_a_parquet_date_with_a_time_of_day_is_rejected(tmp_path):
    prices = prices_frame().with_columns(pl.col("date").cast(pl.Datetime("us")))
    prices = prices.with_columns(
        pl.when(pl.int_range(pl.len()) == 2)
        .then(pl.col("date") + pl.duration(hours=5))
        .otherwise(pl.col("date"))
    )
    batch = fetch(parquet_dir(tmp_path / "in", prices))
    assert batch.prices.height == 24
    assert reasons(batch) == [
        "prices.parquet row 3: column date: '2024-01-04 05:00:00' has a time of day; "
        "write dates as YYYY-MM-DD"
    ]


def test_parquet_numbers_keep_full_precision(tmp_path):
    closes = [0.1 + 0.2, 1 / 3, 123456789.12345679, 5e-324, 1.7976931348623157e308]
    prices = prices_frame().head(len(closes))
    prices = prices.with_columns(
        pl.Series("close", closes), pl.lit(2**53 + 1, dtype=pl.Int64).alias("volume")
    )
    batch = fetch(parquet_dir(tmp_path / "in", prices))
    assert batch.prices.get_column("close").to_list() == closes
    assert batch.prices.get_column("volume").to_list() == [2**53 + 1] * len(closes)


@pytest.mark.parametrize("header", [FIELDS_OF_PRICES + ",close", FIELDS_OF_PRICES + ",Close"])
def test_a_header_naming_a_column_twice_is_refused(tmp_path, header):
    prices = [f"{line},1" for line in good_prices()]
    prices[0] = header
    message = refusal(write_dir(tmp_path / "in", prices))
    assert "prices.csv: the header names close twice (columns 6 and 9); keep one" in message


def test_a_parquet_schema_naming_a_column_twice_is_refused(tmp_path):
    prices = prices_frame().with_columns(pl.col("close").alias("Close"))
    message = refusal(parquet_dir(tmp_path / "in", prices))
    assert "prices.parquet: the header names close twice (columns 6 and 9); keep one" in message


def test_absent_optional_columns_are_recorded_and_warned(tmp_path, caplog):
    prices = [",".join(line.split(",")[:6]) for line in good_prices()]
    members = "".join(",".join(line.split(",")[:5]) + "\n" for line in MEMBERS.splitlines())
    files = write_dir(tmp_path / "in", prices, members=members)
    batch = fetch(files)
    assert batch.absent == {"prices": ("volume", "unadjusted_close")}
    assert batch.prices.get_column("volume").null_count() == 25
    assert batch.members.get_column("valid_to").null_count() == 3
    assert (
        "files source: prices.csv has no volume, unadjusted_close columns; they are not given: "
        "stored values are kept, new rows have none"
    ) in caplog.text
    assert "valid_to" not in caplog.text


def test_an_absent_parquet_column_is_recorded_and_warned(tmp_path, caplog):
    batch = fetch(parquet_dir(tmp_path / "in", prices_frame().drop("volume")))
    assert batch.absent == {"prices": ("volume",)}
    assert (
        "files source: prices.parquet has no volume column; volume is not given: stored values "
        "are kept, new rows have none"
    ) in caplog.text


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("prices.csv", FIELDS_OF_PRICES),
        ("members.csv", MEMBERS.splitlines()[0]),
        ("rates.csv", "date,series,value"),
    ],
)
def test_a_required_file_with_only_a_header_is_refused(tmp_path, name, header):
    files = write_dir(tmp_path / "in", good_prices())
    (files / name).write_text(header + "\n")
    assert f"{name} has a header and no rows; nothing to load from it" in refusal(files)


def test_an_actions_file_with_only_a_header_brings_no_actions(tmp_path):
    files = write_dir(tmp_path / "in", good_prices())
    (files / "actions.csv").write_text("date,ticker,kind,value\n")
    assert fetch(files).actions.height == 0


def test_tickers_are_upper_cased_and_codes_lower_cased(tmp_path):
    prices = [line.replace(",AAA,", ",aaa,") for line in good_prices()]
    members = MEMBERS.replace("large,AAA", "Large,aaa").replace("small,CCC", "SMALL,Ccc")
    rates = RATES.replace("ust_10y", "UST_10Y")
    files = write_dir(tmp_path / "in", prices, members=members, rates=rates)
    (files / "actions.csv").write_text("date,ticker,kind,value\n2024-01-03,brk-b,Split,2\n")
    batch = fetch(files)
    assert set(batch.prices.get_column("ticker")) == {"^GSPC", "^RUT", "AAA", "BBB", "CCC"}
    assert batch.members.select("universe", "ticker").rows() == [
        ("large", "AAA"),
        ("large", "BBB"),
        ("small", "CCC"),
    ]
    assert set(batch.rates.get_column("series")) == {"ust_10y", "cpi_index"}
    assert batch.actions.select("ticker", "kind").rows() == [("BRK-B", "split")]


def test_control_characters_are_escaped_in_messages(tmp_path):
    prices = [
        *good_prices(),
        '2024-01-09,AAA,1,2,1,"1\n2",100,',  # lines 27-28
        "2024-01-10,AAA,1,2,1,3\x00,100,",  # line 29
    ]
    batch = fetch(write_dir(tmp_path / "in", prices))
    assert reasons(batch) == [
        "prices.csv line 27: column close: '1\\n2' is not a number",
        "prices.csv line 29: column close: '3\\x00' is not a number",
    ]
    header = good_prices()
    header[0] = FIELDS_OF_PRICES.replace("close,", "clo\x07s\x1fe,")
    message = refusal(write_dir(tmp_path / "in", header))
    assert "its header is date, ticker, open, high, low, clo\\x07s\\x1fe, volume," in message
    assert not CONTROL_CHARACTERS.search(message)


def test_a_quote_inside_an_unquoted_field_is_read(tmp_path):
    members = MEMBERS.replace("Beta Inc", 'Beta 5" Pipes')
    batch = fetch(write_dir(tmp_path / "in", good_prices(), members=members))
    assert batch.members.get_column("name").to_list() == ["Alpha Corp", 'Beta 5" Pipes', "Gamma Co"]


def test_index_weights_load_from_an_optional_weights_file(tmp_path, materialize, query):
    files = write_dir(tmp_path / "in", good_prices())
    (files / "weights.csv").write_text(
        "universe,ticker,as_of,weight\n"
        "large,AAA,2024-01-05,60.5\n"
        "large,BBB,2024-01-05,39.5\n"
        "small,CCC,2024-01-05,100\n"
        "small,DDD,2024-01-05,140\n"
        "small,EEE,2024-01-05,abc\n"
    )
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    assert query("SELECT universe, ticker, weight FROM raw.index_weights ORDER BY ALL") == [
        ("large", "AAA", 60.5),
        ("large", "BBB", 39.5),
        ("small", "CCC", 100.0),
    ]
    assert query(
        "SELECT rule, reason FROM raw.quarantine WHERE table_name = 'index_weights' ORDER BY rule"
    ) == [
        (
            "unparseable_value",
            "weights.csv line 6: column weight: 'abc' is not a number",
        ),
        (
            "weight_a_percent",
            "index_weights: weight 140.0 is not a percent between 0 and 100 (small DDD 2024-01-05)",
        ),
    ]


def test_a_directory_without_weights_has_none(tmp_path):
    assert fetch(write_dir(tmp_path / "in", good_prices())).index_weights.height == 0


def test_fundamentals_load_from_an_optional_file_and_bad_rows_say_why(tmp_path, materialize, query):
    files = write_dir(tmp_path / "in", good_prices())
    (files / "fundamentals.csv").write_text(
        "ticker,period_end,fiscal_period,available_on,net_income\n"
        "aaa,2023-09-30,2023q3,2023-10-30,1500000\n"  # lower case: upper-cased
        "AAA,2023-09-30,2023Q3,2023-12-01,-200000\n"  # a restatement: a second row
        "BBB,2023-09-30,Q3-2023,2023-10-30,100\n"  # not YYYYQn
        "CCC,2023-12-31,2023Q4,2023-12-15,100\n"  # public before the quarter ended
        "DDD,2023-12-31,2023Q4,2024-01-20,\n"  # no net income
    )
    materialize(CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    assert query(
        "SELECT ticker, fiscal_period, available_on::VARCHAR, net_income FROM raw.fundamentals"
        " ORDER BY ALL"
    ) == [("AAA", "2023Q3", "2023-10-30", 1500000.0), ("AAA", "2023Q3", "2023-12-01", -200000.0)]
    reasons = query(
        "SELECT reason FROM raw.quarantine WHERE table_name = 'fundamentals' ORDER BY ALL"
    )
    assert [r for (r,) in reasons] == [
        "fundamentals.csv line 6: column net_income is empty",
        "fundamentals: available_on 2023-12-15 is before the quarter ended (2023-12-31)"
        " (CCC 2023-12-31 2023-12-15)",
        "fundamentals: fiscal_period 'Q3-2023' is not a quarter written YYYYQn (2024Q3)"
        " (BBB 2023-09-30 2023-10-30)",
    ]
