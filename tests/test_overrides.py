"""The overrides file: a person's corrections, applied in staging and recorded."""

from datetime import date
from pathlib import Path

import pytest

from orchestration.warehouse.overrides import OverridesError, read_overrides
from tests.conftest import materialize_into, read_only_query
from tests.test_files_source import MEMBERS, good_prices, write_dir

HEADER = "ticker,from,to,action,reason\n"
# A sixth session: every series moves on by one, but AAA prints 100 times its close.
NEXT_DAY = [
    f"2024-01-09,{t},{c},{c},{c},{c},1000,"
    for t, c in {"^GSPC": 4705, "^RUT": 1955, "AAA": 5400, "BBB": 25, "CCC": 10}.items()
]
SERIES = "SELECT ticker, date::VARCHAR FROM staging.price_series ORDER BY ALL"
SPANS = "SELECT ticker, rule, span, from_date::VARCHAR, to_date::VARCHAR, bars, evidence FROM staging.price_exclusions ORDER BY ALL"  # noqa: E501


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ("AAA,2024-01-09,,exlude,typo\n", "line 2: action 'exlude' is not one of exclude, keep"),
        ("AAA,2024-01-09,,keep,\n", "line 2: the reason is empty"),
        ("AAA,09/01/2024,,keep,why\n", "line 2: from '09/01/2024' is not a date"),
        ("AAA,2024-01-09,2024-01-02,exclude,why\n", "line 2: to 2024-01-02 is before from"),
        (",2024-01-09,,exclude,why\n", "line 2: the ticker is empty"),
        ("BBB,2024-01-02,,exclude,fine\nAAA,,,keep,why\n", "line 3: from is empty"),
    ],
)
def test_a_line_that_cannot_be_applied_is_named(tmp_path, lines, says):
    path = write(tmp_path / "overrides.csv", HEADER + lines)
    with pytest.raises(OverridesError, match=says.replace("(", r"\(")):
        read_overrides(path)


def test_a_file_without_a_column_says_which(tmp_path):
    path = write(tmp_path / "overrides.csv", "ticker,from,action,reason\nAAA,2024-01-02,keep,x\n")
    with pytest.raises(OverridesError, match="lacks the column\\(s\\) to"):
        read_overrides(path)


def test_lines_are_read_with_tickers_upper_cased_and_open_ends(tmp_path):
    path = write(tmp_path / "overrides.csv", HEADER + " aaa ,2024-01-09,, Keep ,a real crash\n")
    (row,) = read_overrides(path).rows(named=True)
    assert row == {
        "ticker": "AAA",
        "from_date": date(2024, 1, 9),
        "to_date": None,
        "action": "keep",
        "reason": "a real crash",
        "line": 2,
    }


def test_overrides_keep_exclude_and_withdraw(tmp_path):
    files = write_dir(tmp_path / "in", [*good_prices(), *NEXT_DAY])
    warehouse = tmp_path / "w.duckdb"
    overrides = tmp_path / "overrides.csv"
    env = {"CAPGAP_SOURCE": "files", "CAPGAP_FILES_DIR": str(files)}
    materialize_into(warehouse, **env)
    detected = read_only_query(warehouse, SPANS)
    assert [row[:3] for row in detected] == [("AAA", "unadjusted_split", "since_jump")]

    # A person checks the filings: AAA's jump is real. Keep it; drop two BBB misprints.
    write(
        overrides,
        HEADER
        + "AAA,2024-01-09,2024-01-09,keep,a real reverse split the vendor did adjust\n"
        + "bbb,2024-01-03,2024-01-04,exclude,misprints confirmed by the exchange\n",
    )
    result = materialize_into(warehouse, **env)
    assert read_only_query(warehouse, SPANS) == [
        (
            "BBB", "override", "override", "2024-01-03", "2024-01-04", 2,
            "misprints confirmed by the exchange (overrides line 3)",
        )
    ]  # fmt: skip
    series = read_only_query(warehouse, SERIES)
    assert ("AAA", "2024-01-09") in series
    assert ("BBB", "2024-01-03") not in series and ("BBB", "2024-01-05") in series
    whole = next(
        e for e in result.get_asset_check_evaluations() if e.check_name == "every_series_whole"
    )
    assert whole.passed

    # Withdrawn: the file gone, the warehouse is what a build without it gives.
    overrides.unlink()
    materialize_into(warehouse, **env)
    fresh = tmp_path / "fresh.duckdb"
    materialize_into(fresh, **env)
    assert read_only_query(warehouse, SPANS) == detected
    for sql in (SERIES, "SELECT * FROM staging.member_prices ORDER BY ALL"):
        assert read_only_query(warehouse, sql) == read_only_query(fresh, sql)


def test_an_override_that_cannot_be_applied_stops_the_run(tmp_path):
    files = write_dir(tmp_path / "in", good_prices())
    write(tmp_path / "overrides.csv", HEADER + "AAA,2024-01-09,,exlude,typo\n")
    result = materialize_into(
        tmp_path / "w.duckdb",
        raise_on_error=False,
        CAPGAP_SOURCE="files",
        CAPGAP_FILES_DIR=str(files),
    )
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.endswith("overrides.csv line 2: action 'exlude' is not one of exclude, keep")


RAW_COUNTS = (
    "SELECT table_name, removed FROM raw.loads "
    "WHERE load_id = (SELECT max_by(load_id, started_at) FROM raw.loads) ORDER BY 1"
)
BUILT = (
    "SELECT * FROM staging.price_series ORDER BY ALL",
    "SELECT * FROM staging.member_prices ORDER BY ALL",
    "SELECT * FROM marts.breadth_daily ORDER BY ALL",
)


def test_a_reload_makes_the_directory_the_truth_again(tmp_path):
    """Rows the directory no longer has stay without a reload; with CAPGAP_FILES_RELOAD they
    are removed, counted in raw.loads, and what was built from them is rebuilt."""
    files = write_dir(tmp_path / "in", [*good_prices(), *NEXT_DAY])
    warehouse = tmp_path / "w.duckdb"
    env = {"CAPGAP_SOURCE": "files", "CAPGAP_FILES_DIR": str(files)}
    materialize_into(warehouse, **env)
    # A ticker to drop (AAA, its bars and its membership) and a bad day of BBB withdrawn.
    kept = [
        line
        for line in [*good_prices(), *NEXT_DAY]
        if ",AAA," not in line and not line.startswith("2024-01-04,BBB")
    ]
    members = "".join(line + "\n" for line in MEMBERS.splitlines() if ",AAA," not in line)
    write_dir(files, kept, members=members)

    materialize_into(warehouse, **env)
    assert read_only_query(warehouse, "SELECT count(*) FROM raw.prices WHERE ticker = 'AAA'") != [
        (0,)
    ]

    materialize_into(warehouse, CAPGAP_FILES_RELOAD="1", **env)
    assert read_only_query(warehouse, RAW_COUNTS) == [
        ("actions", 0), ("fundamentals", 0), ("index_weights", 0), ("members", 1),
        ("prices", 7), ("rates", 0),
    ]  # fmt: skip
    fresh = tmp_path / "fresh.duckdb"
    materialize_into(fresh, **env)
    for sql in ("SELECT ticker, date FROM raw.prices ORDER BY ALL", *BUILT):
        assert read_only_query(warehouse, sql) == read_only_query(fresh, sql), sql


def test_a_reload_keeps_what_an_unreadable_line_may_hold(tmp_path):
    files = write_dir(tmp_path / "in", good_prices())
    warehouse = tmp_path / "w.duckdb"
    env = {"CAPGAP_SOURCE": "files", "CAPGAP_FILES_DIR": str(files)}
    materialize_into(warehouse, **env)
    lines = [line for line in good_prices() if not line.startswith("2024-01-08,CCC")]
    write_dir(files, [*lines, "2024-01-08,CCC,9,10"])  # a ragged line: its key is unknown

    materialize_into(warehouse, CAPGAP_FILES_RELOAD="1", **env)
    assert ("prices", 0) in read_only_query(warehouse, RAW_COUNTS)
    assert read_only_query(warehouse, "SELECT count(*) FROM raw.prices WHERE ticker = 'CCC'") == [
        (5,)
    ]
