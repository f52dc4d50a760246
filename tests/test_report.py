"""Today's tape: the asset, the pages' content against the marts, dates, nulls and the CLI."""

import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from lxml import html as lxml_html

from orchestration.defs.assets.report import tape_report
from orchestration.defs.resources import Warehouse
from orchestration.outputs.tape.command import tape_command
from orchestration.outputs.tape.formatting import fmt_pct
from orchestration.outputs.tape.render import write_tape
from orchestration.outputs.tape.sections import TapeDateError, build_tape, recorded_rules
from orchestration.outputs.tape.words import Rules
from orchestration.warehouse.contracts import mart_models
from tests.conftest import materialize_into, read_only_query

TAPE_KEY = dg.AssetKey(["reports", "tape"])


@dataclass(frozen=True)
class TapeBuild:
    """A sample warehouse with every mart, and the tape asset's materialization on it."""

    warehouse: Path
    result: dg.ExecuteInProcessResult

    @property
    def metadata(self) -> dict[str, dg.MetadataValue]:
        (event,) = [
            e for e in self.result.get_asset_materialization_events() if e.asset_key == TAPE_KEY
        ]
        return event.materialization.metadata

    @property
    def day(self) -> date:
        return date.fromisoformat(self.metadata["date"].value)

    @property
    def html_path(self) -> Path:
        return Path(self.metadata["html"].value)


_BUILT: list[TapeBuild] = []


def tape_build(factory: pytest.TempPathFactory) -> TapeBuild:
    """Build the marts through Dagster once per test session (80 members, 2 years), then
    materialize the tape asset on them; shared by this module and the browser test."""
    if not _BUILT:
        warehouse = factory.mktemp("tape") / "warehouse.duckdb"
        materialize_into(warehouse, CAPGAP_SAMPLE_MEMBERS="80", CAPGAP_SAMPLE_YEARS="2")
        result = dg.materialize(
            [tape_report], resources={"warehouse": Warehouse(path=str(warehouse))}
        )
        _BUILT.append(TapeBuild(warehouse, result))
    return _BUILT[0]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> TapeBuild:
    return tape_build(tmp_path_factory)


@pytest.fixture
def con(built: TapeBuild):
    with duckdb.connect(str(built.warehouse), read_only=True) as connection:
        yield connection


def page(path: Path) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(path.read_text(encoding="utf-8"))


def table_rows(document: lxml_html.HtmlElement, table_id: str) -> list[list[str]]:
    table = document.get_element_by_id(table_id)
    return [[cell.text_content().strip() for cell in row] for row in table.iterfind("tbody/tr")]


def regime_row(warehouse: Path, day: date) -> tuple[str, str]:
    (row,) = read_only_query(
        warehouse, f"SELECT headline, regime FROM marts.market_regime WHERE date = '{day}'"
    )
    return row


def movers(warehouse: Path, day: date) -> list[tuple]:
    return read_only_query(
        warehouse,
        f"SELECT rank, ticker, name, sector, ret_1d FROM marts.small_cap_movers "
        f"WHERE date = '{day}' ORDER BY rank",
    )


def test_the_asset_depends_on_every_mart_and_sits_in_reports():
    spec = next(iter(tape_report.specs))
    assert spec.key == TAPE_KEY
    assert spec.group_name == "reports"
    marts = mart_models()
    assert {dep.asset_key for dep in spec.deps} == {dg.AssetKey(m.table.split(".")) for m in marts}
    assert len(marts) == 15
    assert spec.kinds == {"html", "duckdb"}


def test_the_asset_writes_the_latest_date_beside_the_warehouse(built: TapeBuild):
    assert built.result.success
    ((latest,),) = read_only_query(built.warehouse, "SELECT max(date) FROM marts.market_regime")
    assert built.day == latest
    reports = built.warehouse.parent / "reports"
    assert built.html_path == reports / f"tape-{latest}.html"
    markdown = reports / f"tape-{latest}.md"
    assert Path(built.metadata["markdown_path"].value) == markdown
    text = markdown.read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) == 8
    for image in images:
        assert image.startswith(f"tape-{latest}/") and image.endswith(".svg")
        assert (reports / image).read_text().startswith("<svg")
    inline = built.metadata["tape"].value
    assert inline.count("](data:image/svg+xml;base64,") == 8
    assert inline.replace("](data:", "](").count(f"tape-{latest}/") == 0


def test_the_page_is_one_self_contained_file(built: TapeBuild):
    text = built.html_path.read_text()
    assert "<script" not in text
    assert re.findall(r"\b(?:src|href)\s*=", text) == []
    assert set(re.findall(r"https?://[^\s\"')]+", text)) == {"http://www.w3.org/2000/svg"}
    assert text.count("<svg") == 8
    for svg in re.findall(r"<svg[^>]*>", text):
        assert int(re.search(r'data-points="(\d+)"', svg).group(1)) > 0


def test_headline_regime_and_movers_match_the_mart(built: TapeBuild):
    headline, regime = regime_row(built.warehouse, built.day)
    document = page(built.html_path)
    assert document.get_element_by_id("headline").text_content() == headline
    assert document.get_element_by_id("regime").get("data-regime") == regime
    expected = movers(built.warehouse, built.day)
    assert len(expected) == 20
    rows = table_rows(document, "movers")
    assert [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows] == [
        (rank, ticker, name, sector, fmt_pct(ret)) for rank, ticker, name, sector, ret in expected
    ]
    markdown = built.html_path.with_suffix(".md").read_text()
    assert headline in markdown
    assert f"(`{regime}`)" in markdown
    for _, ticker, *_ in expected:
        assert f"| {ticker} |" in markdown


def test_breadth_and_returns_match_the_marts(built: TapeBuild):
    ((small_1d, large_63d, spread_21d),) = read_only_query(
        built.warehouse,
        f"SELECT small_ret_1d, large_ret_63d, spread_21d FROM marts.divergence_daily "
        f"WHERE date = '{built.day}'",
    )
    document = page(built.html_path)
    returns = {row[0]: row[1:] for row in table_rows(document, "returns")}
    assert returns["1 day"][0] == fmt_pct(small_1d)
    assert returns["63 days"][1] == fmt_pct(large_63d)
    assert returns["21 days"][2] == f"{100 * spread_21d:+.2f} pp"
    breadth = {row[0]: row[1:] for row in table_rows(document, "breadth")}
    ((large_adv, small_adv),) = read_only_query(
        built.warehouse,
        f"SELECT max(advancers) FILTER (WHERE universe = 'large'), "
        f"max(advancers) FILTER (WHERE universe = 'small') FROM marts.breadth_daily "
        f"WHERE date = '{built.day}'",
    )
    assert breadth["advancers"] == [f"{large_adv:,}", f"{small_adv:,}"]
    signals = [row[0] for row in table_rows(document, "signals")]
    assert signals == ["Rate relief", "Breadth breakout", "Liquidity returning"]


def test_an_earlier_date(built: TapeBuild, con, tmp_path: Path):
    ((day,),) = read_only_query(
        built.warehouse, "SELECT date FROM marts.market_regime ORDER BY date LIMIT 1 OFFSET 300"
    )
    report = write_tape(con, tmp_path, day)
    assert report.day == day
    assert report.html_path == tmp_path / f"tape-{day}.html"
    assert report.markdown_path.exists() and len(report.chart_paths) == 8
    headline, regime = regime_row(built.warehouse, day)
    document = page(report.html_path)
    assert document.get_element_by_id("headline").text_content() == headline
    assert document.get_element_by_id("regime").get("data-regime") == regime
    tickers = [row[1] for row in table_rows(document, "movers")]
    assert tickers == [ticker for _, ticker, *_ in movers(built.warehouse, day)]
    # the relative-strength chart draws the 252 sessions ending on the date, none later
    ((drawn,),) = read_only_query(
        built.warehouse,
        f"SELECT count(relative_strength) + count(relative_strength_z63) FROM ("
        f"SELECT * FROM marts.divergence_daily WHERE date <= '{day}' "
        f"ORDER BY date DESC LIMIT 252)",
    )
    svg = (tmp_path / f"tape-{day}" / "relative-strength.svg").read_text()
    assert f'data-points="{drawn}"' in svg


@pytest.mark.parametrize(
    ("day", "says"),
    [
        (date(2030, 1, 2), ""),
        (date(2000, 1, 3), ""),
        (date(2025, 3, 1), "2025-03-01 (Saturday) is not one of them: the nearest are 2025-02-28"),
    ],
)
def test_a_date_not_in_the_marts_is_a_clear_error(con, tmp_path: Path, day: date, says: str):
    first, last, count = con.execute(
        "SELECT min(date), max(date), count(*) FROM marts.market_regime"
    ).fetchone()
    with pytest.raises(TapeDateError) as error:
        write_tape(con, tmp_path, day)
    message = str(error.value)
    assert f"no market data for {day}" in message
    assert f"holds {count:,} trading dates from {first} to {last}" in message
    assert says in message
    assert not list(tmp_path.iterdir())


def test_the_first_date_shows_nulls_as_na(con, tmp_path: Path):
    (first,) = con.execute("SELECT min(date) FROM marts.market_regime").fetchone()
    report = write_tape(con, tmp_path, first)
    document = page(report.html_path)
    assert document.get_element_by_id("regime").text_content() == "Regime: n/a"
    returns = table_rows(document, "returns")
    assert all(cell == "n/a" for row in returns for cell in row[1:])
    text = document.text_content()
    assert "None" not in text and "nan" not in text.lower().split()
    assert "n/a" in report.markdown_path.read_text()


def test_the_cli_reads_the_warehouse_read_only(built: TapeBuild, tmp_path: Path, capsys):
    # DuckDB refuses, in one process, a read-write connection to a file that is open
    # read-only: holding one proves the CLI opens it read-only.
    with duckdb.connect(str(built.warehouse), read_only=True):
        code = tape_command(["--warehouse", str(built.warehouse), "--out", str(tmp_path)])
    assert code == 0
    assert (tmp_path / f"tape-{built.day}.html").exists()
    assert f"tape of {built.day}" in capsys.readouterr().out


def test_the_cli_reports_a_bad_date_and_honours_the_environment(
    built: TapeBuild, tmp_path: Path, capsys, monkeypatch
):
    monkeypatch.setenv("CAPGAP_WAREHOUSE", str(built.warehouse))
    assert tape_command(["--date", "2026-11-21", "--out", str(tmp_path)]) == 2
    assert "no market data for 2026-11-21" in capsys.readouterr().err
    assert tape_command(["--warehouse", str(tmp_path / "missing.duckdb")]) == 1
    assert "no warehouse at" in capsys.readouterr().err


def test_the_tape_words_its_rules_from_the_recorded_settings(built: TapeBuild, tmp_path: Path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, copy)
    changed = {
        "regime_rally_pct_above_sma50": "70.0",
        "breadth_breakout_corr_21d": "0.9",
        "liquidity_high_volume_days": "2",
        "liquidity_relative_volume": "1.5",
        "small_etf": "XYZ",
        "catalyst_relative_volume": "4.0",
    }
    with duckdb.connect(str(copy)) as con:
        for name, value in changed.items():
            con.execute("UPDATE meta.settings SET value = ? WHERE name = ?", [value, name])
        tape = build_tape(con)
        rally = recorded_rules(con).regime("broad_rally")

    fires_when = {row[0].text: row[3].text for row in tape.signals.rows}
    assert fires_when["Breadth breakout"] == (
        "correlation at least 0.90 and at least 60% of small caps above their SMA50"
    )
    assert fires_when["Liquidity returning"] == (
        "2 of the last 5 sessions with XYZ volume at least 1.5x its 50-day average"
    )
    assert "at least 70% of members" in rally[1]
    assert "the regime's 40% and 70% thresholds" in tape.charts["pct-above-sma50"].caption
    assert "volume at least 4x the member's 50-day average" in tape.movers.note


def test_a_warehouse_without_recorded_settings_reads_the_defaults(built: TapeBuild, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("DROP TABLE meta.settings")
        assert recorded_rules(con) == Rules.from_recorded({})


def test_the_tape_answers_the_three_whys_with_numbers(built: TapeBuild):
    document = page(built.html_path)
    whys = {row[0]: row[1] for row in table_rows(document, "whys")}
    assert list(whys) == ["Rates", "Earnings risk", "Concentration", "Flight to safety"]
    assert re.search(r"unprofitable over 12 months: \d+\.\d% of small", whys["Earnings risk"])
    assert re.search(r"top 10 hold \d+\.\d% of the S&P 500", whys["Concentration"])
    assert re.search(r"^(ON|off|n/a): SPY minus RSP", whys["Flight to safety"])
    # two years of sample: TTM figures only from the second year, no year-on-year yet
    assert "of which the top 10 gave n/a" not in whys["Concentration"]


def test_without_fundamentals_or_weights_the_tape_says_what_is_missing(
    built: TapeBuild, tmp_path: Path
):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("DELETE FROM marts.earnings_daily")
        con.execute("DELETE FROM marts.concentration_daily")
        tape = build_tape(con)
    whys = {row[0].text: row[1].text for row in tape.whys.rows}
    assert whys["Earnings risk"].startswith("n/a: the warehouse holds no fundamentals")
    assert whys["Concentration"].startswith("n/a: the warehouse holds no index weights")
