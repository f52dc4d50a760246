"""Today's tape: the daily market note on small caps against large, from the marts.

`write_tape` writes, for the latest date of the warehouse or a given one, a self-contained
HTML page (inline CSS and SVG charts, nothing fetched) and a markdown version whose charts
are SVG files beside it:

    reports/tape-2026-11-20.html
    reports/tape-2026-11-20.md
    reports/tape-2026-11-20/relative-strength.svg, ...

It reads only the marts, with plain SQL, and shows a null as "n/a".

    python -m orchestration.report [--date YYYY-MM-DD] [--warehouse PATH] [--out DIR]

opens the warehouse read-only (default `$CAPGAP_WAREHOUSE`, else data/capgap.duckdb) and
writes to DIR (default: a `reports` directory beside the warehouse).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from pathlib import Path

import duckdb

from orchestration.charts import line_chart, scatter_with_tails, svg_data_uri
from orchestration.resources import IndicatorSettings

LOOKBACK_SESSIONS = 252
TAIL_SESSIONS = 5
HORIZONS = (1, 5, 21, 63)
SMALL = "Russell 2000"
LARGE = "S&P 500"

REGIMES = {
    "broad_decline": (
        "Broad decline",
        "both benchmarks down over 21 days and at most 40% of members above their 50-day SMA",
    ),
    "broad_rally": (
        "Broad rally",
        "both benchmarks up over 21 days and at least 60% of members above their 50-day SMA",
    ),
    "small_cap_leadership": (
        "Small-cap leadership",
        "small caps ahead of large by 5 points or more over 63 days",
    ),
    "large_cap_leadership": (
        "Large-cap leadership",
        "large caps ahead of small by 5 points or more over 63 days",
    ),
    "mixed": ("Mixed", "no broad move and no clear leader over 63 days"),
}
QUADRANT_ORDER = ("leading", "improving", "weakening", "lagging")

# --- queries: each takes $day, the report date --------------------------------------------

CALENDAR_SQL = """
SELECT
    min(date) AS first_date,
    max(date) AS last_date,
    count(*) AS trading_dates,
    max(date) FILTER (WHERE date < $day) AS previous_date,
    min(date) FILTER (WHERE date > $day) AS next_date,
    bool_or(date = $day) AS is_trading_date
FROM marts.market_regime
"""

LATEST_DATE_SQL = "SELECT max(date) FROM marts.market_regime"

REGIME_SQL = """
SELECT
    date,
    headline,
    regime,
    large_drawdown,
    ust_10y_change_21d_bp,
    fed_funds_change_63d_bp,
    rate_relief,
    corr_21d,
    small_pct_above_sma50,
    breadth_breakout,
    small_etf_relative_volume,
    small_etf_high_volume_days_5d,
    liquidity_returning
FROM marts.market_regime
WHERE date = $day
"""

DIVERGENCE_SQL = """
SELECT
    large_close, small_close,
    large_ret_1d, large_ret_5d, large_ret_21d, large_ret_63d,
    small_ret_1d, small_ret_5d, small_ret_21d, small_ret_63d,
    spread_1d, spread_5d, spread_21d, spread_63d,
    relative_strength, relative_strength_z63,
    corr_21d, corr_63d,
    large_drawdown, small_drawdown,
    breadth_gap_sma50
FROM marts.divergence_daily
WHERE date = $day
"""

RATE_SENSITIVITY_SQL = """
SELECT beta_63d, corr_63d
FROM marts.rate_sensitivity
WHERE date = $day
"""

BREADTH_SQL = """
SELECT
    universe,
    issues, advancers, decliners, unchanged, net_advances,
    pct_above_sma50, pct_above_sma200,
    new_highs_52w, new_lows_52w, high_low_index,
    mcclellan_oscillator, mcclellan_summation,
    arms_index, arms_index_10d,
    zweig_ema10, zweig_thrust,
    ad_line,
    members, coverage_pct
FROM marts.breadth_daily
WHERE date = $day
"""

SECTOR_BREADTH_SQL = """
WITH sectors_on_day AS (
    SELECT universe, sector, advancers, decliners, pct_above_sma50
    FROM marts.sector_breadth_daily
    WHERE date = $day
)

SELECT
    sector,
    max(pct_above_sma50) FILTER (WHERE universe = 'large') AS large_pct_above_sma50,
    max(pct_above_sma50) FILTER (WHERE universe = 'small') AS small_pct_above_sma50,
    max(advancers) FILTER (WHERE universe = 'small') AS small_advancers,
    max(decliners) FILTER (WHERE universe = 'small') AS small_decliners
FROM sectors_on_day
GROUP BY sector
ORDER BY small_pct_above_sma50 DESC NULLS LAST, sector
"""

MOVERS_SQL = """
SELECT rank, ticker, name, sector, ret_1d, relative_volume, catalyst_like, split_ratio,
    reverse_split
FROM marts.small_cap_movers
WHERE date = $day
ORDER BY rank
"""

# The line charts' window: the last $sessions trading dates ending on the report date.
HISTORY_SQL = """
WITH sessions AS (
    SELECT date
    FROM marts.divergence_daily
    WHERE date <= $day
    ORDER BY date DESC
    LIMIT $sessions
),

breadth_by_universe AS (
    SELECT
        date,
        max(pct_above_sma50) FILTER (WHERE universe = 'large') AS large_pct_above_sma50,
        max(pct_above_sma50) FILTER (WHERE universe = 'small') AS small_pct_above_sma50,
        max(ad_line) FILTER (WHERE universe = 'large') AS large_ad_line,
        max(ad_line) FILTER (WHERE universe = 'small') AS small_ad_line
    FROM marts.breadth_daily
    WHERE date IN (SELECT date FROM sessions)
    GROUP BY date
)

SELECT
    sessions.date,
    divergence.relative_strength,
    divergence.relative_strength_z63,
    divergence.spread_63d,
    rates.ust_10y,
    breadth_by_universe.large_pct_above_sma50,
    breadth_by_universe.small_pct_above_sma50,
    breadth_by_universe.large_ad_line,
    breadth_by_universe.small_ad_line
FROM sessions
LEFT JOIN marts.divergence_daily AS divergence USING (date)
LEFT JOIN marts.rates_daily AS rates USING (date)
LEFT JOIN breadth_by_universe USING (date)
ORDER BY sessions.date
"""

# Each rotation symbol's rows over the last $tail trading dates: the head is the report date.
ROTATION_SQL = """
WITH tail_sessions AS (
    SELECT date
    FROM marts.divergence_daily
    WHERE date <= $day
    ORDER BY date DESC
    LIMIT $tail
)

SELECT symbol, benchmark, date, rs_ratio, rs_momentum, quadrant
FROM marts.rotation_daily
WHERE date IN (SELECT date FROM tail_sessions)
ORDER BY symbol, date
"""


class TapeDateError(ValueError):
    """The report date is not a trading date of the warehouse."""


@dataclass(frozen=True)
class TapeReport:
    """What `write_tape` wrote: the date, the pages, the chart files, and the markdown with
    its charts inline as data URIs (for Dagster metadata)."""

    day: date
    html_path: Path
    markdown_path: Path
    chart_paths: list[Path]
    markdown_inline: str


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and a tone for the HTML page (up, down, on, off, muted)."""

    text: str
    tone: str = ""


@dataclass
class Table:
    """A table rendered the same way in HTML and markdown."""

    key: str
    headers: list[str]
    rows: list[list[Cell]]
    align: str  # one letter per column: l or r
    note: str = ""


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    caption: str
    svg: str


@dataclass
class Tape:
    """Everything the page shows for one date."""

    day: date
    headline: str
    regime: str | None
    summary: list[str]
    returns: Table
    signals: Table
    breadth: Table
    sectors: Table
    rotation: Table
    movers: Table
    charts: list[Chart] = field(default_factory=list)


# --- formatting: how a trader reads the numbers ---------------------------------------------


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def fmt_pct(value: float | None, decimals: int = 2, sign: bool = True) -> str:
    """A fraction as a percent: 0.0123 -> '+1.23%'."""
    if _missing(value):
        return "n/a"
    return f"{100 * value:{'+' if sign else ''}.{decimals}f}%"


def fmt_share(value: float | None, decimals: int = 1) -> str:
    """A value already in percent (0-100): 43.75 -> '43.8%'."""
    return "n/a" if _missing(value) else f"{value:.{decimals}f}%"


def fmt_points(value: float | None, decimals: int = 1) -> str:
    """A difference of percentages, in percentage points: -9.88 -> '-9.9 pp'."""
    return "n/a" if _missing(value) else f"{value:+.{decimals}f} pp"


def fmt_bp(value: float | None) -> str:
    if _missing(value):
        return "n/a"
    return "0 bp" if round(value) == 0 else f"{value:+.0f} bp"


def fmt_number(value: float | None, decimals: int = 0, sign: bool = False) -> str:
    if _missing(value):
        return "n/a"
    return f"{value:{'+' if sign else ''},.{decimals}f}"


def fmt_times(value: float | None) -> str:
    """A multiple: relative volume 0.49 -> '0.49x'."""
    return "n/a" if _missing(value) else f"{value:.2f}x"


def fmt_flag(value: bool | None) -> Cell:
    if value is None:
        return Cell("n/a", "muted")
    return Cell("ON", "on") if value else Cell("off", "off")


def fmt_split(ratio: float | None, reverse: bool | None) -> Cell:
    """A split as traders write it: 2.0 -> '2-for-1', 0.1 -> '1-for-10 reverse'."""
    if _missing(ratio):
        return Cell("n/a" if reverse is None else "", "muted")
    if ratio >= 1:
        return Cell(f"{ratio:g}-for-1")
    return Cell(f"1-for-{1 / ratio:g} reverse", "down")


def _tone(value: float | None) -> str:
    if _missing(value) or value == 0:
        return "muted" if _missing(value) else ""
    return "up" if value > 0 else "down"


def signed(value: float | None, text: str) -> Cell:
    """A cell coloured by the sign of `value`."""
    return Cell(text, _tone(value))


# --- queries -----------------------------------------------------------------------------------


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, object]
) -> list[dict[str, object]]:
    cursor = con.execute(sql, parameters)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def report_date(con: duckdb.DuckDBPyConnection, day: date | None = None) -> date:
    """The date to report on: `day` if it is a trading date of the marts, else the latest
    one; raises TapeDateError naming the date and the range the warehouse holds."""
    if day is None:
        (latest,) = con.execute(LATEST_DATE_SQL).fetchone()
        if latest is None:
            raise TapeDateError(
                "marts.market_regime has no rows: materialize the marts before writing the tape"
            )
        return latest
    (calendar,) = _rows(con, CALENDAR_SQL, {"day": day})
    if calendar["is_trading_date"]:
        return day
    if calendar["first_date"] is None:
        raise TapeDateError(
            f"no data for {day}: marts.market_regime has no rows; materialize the marts first"
        )
    held = (
        f"the warehouse holds {calendar['trading_dates']:,} trading dates from "
        f"{calendar['first_date']} to {calendar['last_date']}"
    )
    if calendar["first_date"] < day < calendar["last_date"]:
        where = (
            f"; {day} ({day:%A}) is not one of them: the nearest are "
            f"{calendar['previous_date']} and {calendar['next_date']}"
        )
    else:
        where = ""
    raise TapeDateError(f"no market data for {day} in marts.market_regime: {held}{where}")


# --- the tape's sections -------------------------------------------------------------------------


def _returns_table(divergence: dict[str, object]) -> Table:
    rows = []
    for n in HORIZONS:
        small, large, spread = (
            divergence.get(f"small_ret_{n}d"),
            divergence.get(f"large_ret_{n}d"),
            divergence.get(f"spread_{n}d"),
        )
        rows.append(
            [
                Cell(f"{n} day" if n == 1 else f"{n} days"),
                signed(small, fmt_pct(small)),
                signed(large, fmt_pct(large)),
                signed(spread, fmt_points(None if _missing(spread) else 100 * spread, 2)),
            ]
        )
    return Table(
        "returns",
        ["horizon", SMALL, LARGE, "spread (small - large)"],
        rows,
        "lrrr",
        note="Returns over trading days of each benchmark's own closes (marts.divergence_daily).",
    )


def _summary_lines(divergence: dict[str, object], sensitivity: dict[str, object]) -> list[str]:
    beta = sensitivity.get("beta_63d")
    beta_text = "n/a" if _missing(beta) else f"{10_000 * beta:+.2f} bp per bp"
    return [
        f"{SMALL} {fmt_number(divergence.get('small_close'), 2)}, "
        f"{fmt_pct(divergence.get('small_drawdown'), 1, sign=False)} from its record; "
        f"{LARGE} {fmt_number(divergence.get('large_close'), 2)}, "
        f"{fmt_pct(divergence.get('large_drawdown'), 1, sign=False)} from its record.",
        f"Relative strength (small / large) {fmt_number(divergence.get('relative_strength'), 4)}, "
        f"63-day z-score {fmt_number(divergence.get('relative_strength_z63'), 2, sign=True)}; "
        f"correlation of daily returns {fmt_number(divergence.get('corr_21d'), 2)} (21 days), "
        f"{fmt_number(divergence.get('corr_63d'), 2)} (63 days).",
        f"Breadth gap (small - large, % above SMA50) "
        f"{fmt_points(divergence.get('breadth_gap_sma50'))}; rate sensitivity of the daily "
        f"spread to the 10-year yield over 63 days: beta {beta_text}, correlation "
        f"{fmt_number(sensitivity.get('corr_63d'), 2)}.",
    ]


def _coverage_lines(breadth: list[dict[str, object]], floor: float) -> list[str]:
    """A warning for each universe priced below the coverage floor on the day."""
    lines = []
    for row in breadth:
        coverage, members = row["coverage_pct"], row["members"]
        if _missing(coverage) or coverage >= floor:
            continue
        label = LARGE if row["universe"] == "large" else SMALL
        priced = round(coverage * members / 100)
        lines.append(
            f"Thin data: {label} has prices for {priced:,} of its {members:,} members today "
            f"({coverage:.1f}%, below {floor:g}%); its breadth counts only those."
        )
    return lines


def _signals_table(regime: dict[str, object]) -> Table:
    days = regime.get("small_etf_high_volume_days_5d")
    rows = [
        [
            Cell("Rate relief"),
            fmt_flag(regime.get("rate_relief")),
            Cell(
                f"10y {fmt_bp(regime.get('ust_10y_change_21d_bp'))} over 21 days; fed funds "
                f"{fmt_bp(regime.get('fed_funds_change_63d_bp'))} over 63 days"
            ),
            Cell("10y down 25 bp or more over 21 days, or a fed funds cut within 63 days"),
        ],
        [
            Cell("Breadth breakout"),
            fmt_flag(regime.get("breadth_breakout")),
            Cell(
                f"21-day correlation {fmt_number(regime.get('corr_21d'), 2)}; small caps above "
                f"SMA50 {fmt_share(regime.get('small_pct_above_sma50'))}"
            ),
            Cell("correlation at least 0.80 and at least 60% of small caps above their SMA50"),
        ],
        [
            Cell("Liquidity returning"),
            fmt_flag(regime.get("liquidity_returning")),
            Cell(
                f"IWM relative volume {fmt_times(regime.get('small_etf_relative_volume'))}; "
                f"{'n/a' if days is None else days} of the last 5 days at 1.2x or more"
            ),
            Cell("3 of the last 5 sessions with IWM volume at least 1.2x its 50-day average"),
        ],
    ]
    return Table("signals", ["signal", "state", "inputs", "fires when"], rows, "llll")


BREADTH_ROWS: list[tuple[str, str, Callable[[object], str], bool]] = [
    ("members (point in time)", "members", lambda v: fmt_number(v), False),
    ("% of members priced", "coverage_pct", lambda v: fmt_share(v), False),
    ("issues", "issues", lambda v: fmt_number(v), False),
    ("advancers", "advancers", lambda v: fmt_number(v), False),
    ("decliners", "decliners", lambda v: fmt_number(v), False),
    ("unchanged", "unchanged", lambda v: fmt_number(v), False),
    ("net advances", "net_advances", lambda v: fmt_number(v, sign=True), True),
    ("% above SMA50", "pct_above_sma50", lambda v: fmt_share(v), False),
    ("% above SMA200", "pct_above_sma200", lambda v: fmt_share(v), False),
    ("new 52-week highs", "new_highs_52w", lambda v: fmt_number(v), False),
    ("new 52-week lows", "new_lows_52w", lambda v: fmt_number(v), False),
    ("high-low index (10 days)", "high_low_index", lambda v: fmt_share(v), False),
    ("McClellan oscillator", "mcclellan_oscillator", lambda v: fmt_number(v, 1, True), True),
    ("McClellan summation", "mcclellan_summation", lambda v: fmt_number(v, 0, True), True),
    ("Arms index (TRIN)", "arms_index", lambda v: fmt_number(v, 2), False),
    ("Arms index, 10-day mean", "arms_index_10d", lambda v: fmt_number(v, 2), False),
    ("Zweig breadth EMA10", "zweig_ema10", lambda v: fmt_number(v, 3), False),
    ("A/D line", "ad_line", lambda v: fmt_number(v, sign=True), True),
]


def _breadth_table(breadth: list[dict[str, object]]) -> Table:
    by_universe = {row["universe"]: row for row in breadth}
    rows = []
    for label, column, fmt, toned in BREADTH_ROWS:
        cells = [Cell(label)]
        for universe in ("large", "small"):
            value = by_universe.get(universe, {}).get(column)
            cells.append(signed(value, fmt(value)) if toned else Cell(fmt(value)))
        rows.append(cells)
    thrust = [Cell("Zweig breadth thrust")]
    thrust += [fmt_flag(by_universe.get(u, {}).get("zweig_thrust")) for u in ("large", "small")]
    rows.append(thrust)
    return Table(
        "breadth",
        ["", f"large ({LARGE} members)", f"small ({SMALL} members)"],
        rows,
        "lrr",
        note="McClellan numbers are ratio-adjusted (RANA x 1000, no +1000 offset on the "
        "summation), so the two universes compare.",
    )


def _sectors_table(sectors: list[dict[str, object]]) -> Table:
    rows = [
        [
            Cell(str(row["sector"])),
            Cell(fmt_share(row["small_pct_above_sma50"], 0)),
            Cell(fmt_share(row["large_pct_above_sma50"], 0)),
            Cell(f"{fmt_number(row['small_advancers'])} / {fmt_number(row['small_decliners'])}"),
        ]
        for row in sectors
    ]
    return Table(
        "sectors",
        ["sector", "small: % above SMA50", "large: % above SMA50", "small: adv / dec"],
        rows,
        "lrrr",
    )


def _rotation_table(heads: list[dict[str, object]]) -> Table:
    def order(row: dict[str, object]) -> tuple[int, float]:
        quadrant = row["quadrant"]
        rank = QUADRANT_ORDER.index(quadrant) if quadrant in QUADRANT_ORDER else 4
        return rank, -(row["rs_ratio"] or 0.0)

    rows = [
        [
            Cell(str(row["symbol"])),
            Cell(str(row["quadrant"] or "n/a"), "" if row["quadrant"] else "muted"),
            Cell(fmt_number(row["rs_ratio"], 2)),
            Cell(fmt_number(row["rs_momentum"], 2)),
        ]
        for row in sorted(heads, key=order)
    ]
    return Table("rotation", ["symbol", "quadrant", "RS-ratio", "RS-momentum"], rows, "llrr")


def _movers_table(movers: list[dict[str, object]]) -> Table:
    rows = []
    for row in movers:
        catalyst = row["catalyst_like"]
        rows.append(
            [
                Cell(str(row["rank"])),
                Cell(str(row["ticker"])),
                Cell(str(row["name"] or "n/a")),
                Cell(str(row["sector"] or "n/a")),
                signed(row["ret_1d"], fmt_pct(row["ret_1d"])),
                Cell(fmt_times(row["relative_volume"])),
                Cell("n/a", "muted")
                if catalyst is None
                else Cell("catalyst", "on")
                if catalyst
                else Cell(""),
                fmt_split(row["split_ratio"], row["reverse_split"]),
            ]
        )
    return Table(
        "movers",
        ["#", "ticker", "name", "sector", "1 day", "rel. volume", "catalyst-like", "split"],
        rows,
        "rllllrll",
        note="Top small-cap members by absolute 1-day return; catalyst-like means volume at "
        "least 3x the member's 50-day average.",
    )


def _series(
    history: list[dict[str, object]], column: str, scale: float = 1.0
) -> list[tuple[date, float | None]]:
    return [
        (row["date"], None if _missing(row[column]) else scale * row[column]) for row in history
    ]


def _charts(history: list[dict[str, object]], trails: list[dict[str, object]]) -> list[Chart]:
    sessions = len(history)
    window = "the last session" if sessions == 1 else f"the last {sessions} sessions"
    benchmark = next((row["benchmark"] for row in trails if row["benchmark"]), "SPY")
    by_symbol: dict[str, list[tuple[float | None, float | None]]] = {}
    for row in trails:
        by_symbol.setdefault(row["symbol"], []).append((row["rs_ratio"], row["rs_momentum"]))
    return [
        Chart(
            "relative-strength",
            f"Relative strength, {SMALL} / {LARGE}",
            f"The ratio of the closes (left) and its 63-day z-score (right), {window}.",
            line_chart(
                f"Relative strength: {SMALL} / {LARGE}",
                {"RS line (small / large)": _series(history, "relative_strength")},
                secondary={"63-day z-score": _series(history, "relative_strength_z63")},
                y_label="ratio",
                secondary_label="z-score",
                width=600,
                height=290,
            ),
        ),
        Chart(
            "pct-above-sma50",
            "Members above their 50-day average",
            f"Percent of each universe's members above their SMA50, {window}; the dashed "
            "lines are the regime's 40% and 60% thresholds.",
            line_chart(
                "% of members above their 50-day SMA",
                {
                    f"large ({LARGE})": _series(history, "large_pct_above_sma50"),
                    f"small ({SMALL})": _series(history, "small_pct_above_sma50"),
                },
                y_label="% above SMA50",
                y_range=(0.0, 100.0),
                reference_lines=(40.0, 60.0),
                width=600,
                height=290,
            ),
        ),
        Chart(
            "ad-lines",
            "Advance/decline lines",
            f"Cumulative net advances of each universe since the start of its history, {window}; "
            "each on its own axis, since the small universe has four times the members.",
            line_chart(
                "Advance/decline lines",
                {f"large ({LARGE})": _series(history, "large_ad_line")},
                secondary={f"small ({SMALL})": _series(history, "small_ad_line")},
                y_label="large: net advances",
                secondary_label="small: net advances",
                width=600,
                height=290,
            ),
        ),
        Chart(
            "yield-vs-spread",
            "10-year yield against the 63-day return spread",
            f"The 63-day return of small minus large in percentage points (left, the spread the "
            f"regime uses) and the 10-year Treasury yield in percent (right), {window}.",
            line_chart(
                "63-day spread (small - large) vs 10-year yield",
                {"63-day spread, small - large (pp)": _series(history, "spread_63d", 100.0)},
                secondary={"10-year yield (%)": _series(history, "ust_10y")},
                y_label="spread, pp",
                secondary_label="yield, %",
                reference_lines=(0.0,),
                width=600,
                height=290,
            ),
        ),
        Chart(
            "rotation",
            f"Rotation against {benchmark}",
            f"RS-ratio (x) against RS-momentum (y) of each ETF against {benchmark}; the dot is "
            f"the report date, the tail its last {TAIL_SESSIONS} sessions.",
            scatter_with_tails(
                f"Rotation vs {benchmark}: RS-ratio vs RS-momentum, {TAIL_SESSIONS}-day tails",
                by_symbol,
                x_label="RS-ratio (100 = in line with the benchmark)",
                y_label="RS-momentum",
                center=(100.0, 100.0),
                quadrant_labels=("LEADING", "WEAKENING", "LAGGING", "IMPROVING"),
                width=720,
                height=540,
            ),
        ),
    ]


def build_tape(con: duckdb.DuckDBPyConnection, day: date | None = None) -> Tape:
    """Query the marts for the report date (the latest when `day` is None)."""
    day = report_date(con, day)
    on_day = {"day": day}
    (regime,) = _rows(con, REGIME_SQL, on_day)
    divergence = next(iter(_rows(con, DIVERGENCE_SQL, on_day)), {})
    sensitivity = next(iter(_rows(con, RATE_SENSITIVITY_SQL, on_day)), {})
    history = _rows(con, HISTORY_SQL, {"day": day, "sessions": LOOKBACK_SESSIONS})
    trails = _rows(con, ROTATION_SQL, {"day": day, "tail": TAIL_SESSIONS})
    heads = [row for row in trails if row["date"] == day]
    breadth = _rows(con, BREADTH_SQL, on_day)
    coverage = _coverage_lines(breadth, IndicatorSettings().coverage_floor_pct)
    return Tape(
        day=day,
        headline=str(regime["headline"] or "No headline: its inputs are missing on this date."),
        regime=regime["regime"],
        summary=coverage + _summary_lines(divergence, sensitivity),
        returns=_returns_table(divergence),
        signals=_signals_table(regime),
        breadth=_breadth_table(breadth),
        sectors=_sectors_table(_rows(con, SECTOR_BREADTH_SQL, on_day)),
        rotation=_rotation_table(heads),
        movers=_movers_table(_rows(con, MOVERS_SQL, on_day)),
        charts=_charts(history, trails),
    )


# --- rendering ---------------------------------------------------------------------------------


def _regime_words(regime: str | None) -> tuple[str, str]:
    if regime is None:
        return "n/a", "not classified: one of its inputs is missing on this date"
    return REGIMES.get(regime, (regime, ""))


CSS = """
:root { --ink: #1d2327; --muted: #667085; --line: #e4e7ec; --up: #12803c; --down: #c4320a; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 40px; }
header { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 22px; margin-bottom: 18px; }
.kicker { color: var(--muted); text-transform: uppercase; letter-spacing: .08em; font-size: 12px; }
h1 { margin: 4px 0 8px; font-size: 26px; }
h2 { font-size: 15px; margin: 0 0 10px; text-transform: uppercase; letter-spacing: .05em;
  color: #344054; }
.headline { font-size: 18px; margin: 6px 0 12px; }
.regime { display: inline-block; padding: 3px 10px; border-radius: 999px; font-weight: 600;
  background: #eef2f6; border: 1px solid #d0d5dd; }
.regime-small_cap_leadership, .regime-broad_rally { background: #e3f4e8; border-color: #9fd4ae; }
.regime-large_cap_leadership, .regime-broad_decline { background: #fde8e3; border-color: #f2b4a5; }
.regime-why { color: var(--muted); margin-left: 8px; }
.summary { margin: 12px 0 0; padding-left: 18px; color: #344054; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 18px;
  margin-bottom: 18px; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 18px; min-width: 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px;
  border-bottom: 1px solid #d0d5dd; padding: 5px 8px; }
td { border-bottom: 1px solid var(--line); padding: 4px 8px; vertical-align: top; }
.r { text-align: right; }
#breadth td:first-child, #sectors td:first-child, #signals td:first-child { white-space: nowrap; }
.up { color: var(--up); }
.down { color: var(--down); }
.muted { color: #98a2b3; }
.on { color: #fff; background: var(--up); border-radius: 4px; padding: 1px 6px; font-weight: 600; }
.off { color: var(--muted); }
.note { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 6px; }
.rotation { display: grid; grid-template-columns: minmax(0, 2fr) minmax(260px, 1fr); gap: 18px; }
footer { color: var(--muted); font-size: 12px; }
"""


def _html_table(table: Table) -> str:
    def cell(tag: str, content: Cell, align: str) -> str:
        text = escape(content.text)
        tone = content.tone
        if tone == "on":  # a badge, not a coloured cell
            text, tone = f'<span class="on">{text}</span>', ""
        classes = " ".join(c for c in ("r" if align == "r" else "", tone) if c)
        attribute = f' class="{classes}"' if classes else ""
        return f"<{tag}{attribute}>{text}</{tag}>"

    head = "".join(cell("th", Cell(h), a) for h, a in zip(table.headers, table.align, strict=True))
    body = "\n".join(
        "<tr>" + "".join(cell("td", c, a) for c, a in zip(row, table.align, strict=True)) + "</tr>"
        for row in table.rows
    )
    if not table.rows:
        body = (
            f'<tr><td colspan="{len(table.headers)}" class="muted">no rows on this date</td></tr>'
        )
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (
        f'<table id="{table.key}"><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>'
        f"</table>{note}"
    )


def _html_figure(chart: Chart) -> str:
    return (
        f'<figure id="chart-{chart.slug}">{chart.svg}'
        f"<figcaption>{escape(chart.caption)}</figcaption></figure>"
    )


def render_html(tape: Tape) -> str:
    """The page: one file, its CSS and charts inline."""
    label, why = _regime_words(tape.regime)
    charts = {chart.slug: chart for chart in tape.charts}
    line_charts = "\n".join(
        f'<section class="card">{_html_figure(charts[slug])}</section>'
        for slug in ("relative-strength", "yield-vs-spread", "pct-above-sma50", "ad-lines")
    )
    summary = "".join(f"<li>{escape(line)}</li>" for line in tape.summary)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Today's tape: {tape.day.isoformat()}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<div class="kicker">capgap · today's tape · small caps vs large</div>
<h1>{tape.day:%A} {tape.day.day} {tape.day:%B %Y}</h1>
<p class="headline" id="headline">{escape(tape.headline)}</p>
<span class="regime regime-{escape(tape.regime or "none")}" id="regime"
 data-regime="{escape(tape.regime or "")}">Regime: {escape(label)}</span>
<span class="regime-why">{escape(why)}</span>
<ul class="summary">{summary}</ul>
</header>
<div class="grid">
<section class="card"><h2>Returns</h2>{_html_table(tape.returns)}</section>
<section class="card"><h2>Watch signals</h2>{_html_table(tape.signals)}</section>
</div>
<div class="grid">
{line_charts}
</div>
<div class="grid">
<section class="card"><h2>Breadth</h2>{_html_table(tape.breadth)}</section>
<section class="card"><h2>Sector breadth</h2>{_html_table(tape.sectors)}</section>
</div>
<section class="card" style="margin-bottom: 18px">
<h2>Rotation</h2>
<div class="rotation">{_html_figure(charts["rotation"])}
<div>{_html_table(tape.rotation)}</div></div>
</section>
<section class="card" style="margin-bottom: 18px">
<h2>Top small-cap movers</h2>{_html_table(tape.movers)}
</section>
<footer>Built from the capgap marts (breadth_daily, sector_breadth_daily, divergence_daily,
rotation_daily, liquidity_daily, rates_daily, rate_sensitivity, small_cap_movers,
market_regime); every column is defined in docs/data_dictionary.md. "n/a" marks a value the
warehouse does not have for this date.</footer>
</main>
</body>
</html>
"""


def _md_escape(text: str) -> str:
    for char in "\\|*_[]`":
        text = text.replace(char, "\\" + char)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _md_table(table: Table) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    rule = ["---:" if a == "r" else "---" for a in table.align]
    rows = [line([_md_escape(c.text) for c in row]) for row in table.rows]
    if not rows:
        rows = [line(["no rows on this date", *[""] * (len(table.headers) - 1)])]
    text = "\n".join([line([_md_escape(h) for h in table.headers]), line(rule), *rows])
    return text + (f"\n\n_{_md_escape(table.note)}_" if table.note else "")


def render_markdown(tape: Tape, image_source: Callable[[Chart], str]) -> str:
    """The markdown version; `image_source` gives each chart's image address."""
    label, why = _regime_words(tape.regime)

    def image(slug: str) -> str:
        chart = next(c for c in tape.charts if c.slug == slug)
        return (
            f"![{_md_escape(chart.title)}]({image_source(chart)})\n\n_{_md_escape(chart.caption)}_"
        )

    regime_code = f" (`{tape.regime}`)" if tape.regime else ""
    parts = [
        f"# Today's tape: {tape.day:%A} {tape.day.day} {tape.day:%B %Y}",
        f"**{_md_escape(tape.headline)}**",
        f"Regime: **{_md_escape(label)}**{regime_code}: {_md_escape(why)}.",
        "\n".join(f"- {_md_escape(line)}" for line in tape.summary),
        "## Returns",
        _md_table(tape.returns),
        "## Watch signals",
        _md_table(tape.signals),
        "## Charts",
        image("relative-strength"),
        image("yield-vs-spread"),
        image("pct-above-sma50"),
        image("ad-lines"),
        "## Breadth",
        _md_table(tape.breadth),
        "## Sector breadth",
        _md_table(tape.sectors),
        "## Rotation",
        image("rotation"),
        _md_table(tape.rotation),
        "## Top small-cap movers",
        _md_table(tape.movers),
    ]
    return "\n\n".join(parts) + "\n"


def write_tape(
    con: duckdb.DuckDBPyConnection, out_dir: Path, day: date | None = None
) -> TapeReport:
    """Write the tape of `day` (default: the latest date of the marts) into `out_dir`:
    `tape-<date>.html` (self-contained), `tape-<date>.md` and its charts in `tape-<date>/`."""
    tape = build_tape(con, day)
    stem = f"tape-{tape.day.isoformat()}"
    out_dir = Path(out_dir)
    chart_dir = out_dir / stem
    chart_dir.mkdir(parents=True, exist_ok=True)
    chart_paths = []
    for chart in tape.charts:
        path = chart_dir / f"{chart.slug}.svg"
        path.write_text(chart.svg, encoding="utf-8")
        chart_paths.append(path)
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(render_html(tape), encoding="utf-8")
    markdown_path = out_dir / f"{stem}.md"
    markdown_path.write_text(
        render_markdown(tape, lambda chart: f"{stem}/{chart.slug}.svg"), encoding="utf-8"
    )
    return TapeReport(
        day=tape.day,
        html_path=html_path,
        markdown_path=markdown_path,
        chart_paths=chart_paths,
        markdown_inline=render_markdown(tape, lambda chart: svg_data_uri(chart.svg)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m orchestration.report`: write the tape from the warehouse, read-only."""
    from orchestration.settings import DEFAULT_WAREHOUSE

    parser = argparse.ArgumentParser(
        prog="python -m orchestration.report",
        description="Write today's tape (HTML and markdown) from the capgap warehouse.",
    )
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        help="the trading date to report, YYYY-MM-DD (default: the latest in the warehouse)",
    )
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("CAPGAP_WAREHOUSE", DEFAULT_WAREHOUSE),
        help="the DuckDB file (default: $CAPGAP_WAREHOUSE, else %(default)s)",
    )
    parser.add_argument("--out", type=Path, help="where to write (default: reports/ beside it)")
    args = parser.parse_args(argv)
    warehouse = Path(args.warehouse)
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}: build it first (make run)", file=sys.stderr)
        return 1
    out_dir = args.out or warehouse.parent / "reports"
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            report = write_tape(con, out_dir, args.date)
    except TapeDateError as error:
        print(error, file=sys.stderr)
        return 2
    except duckdb.IOException as error:
        print(f"cannot open {warehouse} read-only (is a run writing it?): {error}", file=sys.stderr)
        return 1
    print(f"tape of {report.day}: {report.html_path}\n  markdown: {report.markdown_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
