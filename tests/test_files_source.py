"""The `files` source through Dagster: clear errors, quarantine with reasons, nothing lost."""

from pathlib import Path

import pytest

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
