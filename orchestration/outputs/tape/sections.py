"""The tape's content for one date: each section's rows, queried from the marts with the
SQL of `queries/`, and its charts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import duckdb

from orchestration.outputs.charts import line_chart, scatter_with_tails, strip_chart
from orchestration.outputs.tape.formatting import (
    Cell,
    fmt_bp,
    fmt_flag,
    fmt_number,
    fmt_pct,
    fmt_points,
    fmt_share,
    fmt_split,
    fmt_times,
    missing,
    signed,
)
from orchestration.outputs.tape.words import Rules

QUERIES_DIR = Path(__file__).parent / "queries"
LOOKBACK_SESSIONS = 252
TAIL_SESSIONS = 5
HORIZONS = (1, 5, 21, 63)
SMALL = "Russell 2000"
LARGE = "S&P 500"
QUADRANT_ORDER = ("leading", "improving", "weakening", "lagging")
EVIDENCE_HORIZONS = (5, 21, 63)
WATCH_SIGNALS = {
    "rate_relief": "Rate relief",
    "breadth_breakout": "Breadth breakout",
    "liquidity_returning": "Liquidity returning",
    "flight_to_safety": "Flight to safety",
    "zweig_thrust_small": f"Zweig thrust, {SMALL}",
    "zweig_thrust_large": f"Zweig thrust, {LARGE}",
}
SHORT_LABELS = {
    "rate_relief": "rate relief",
    "breadth_breakout": "breadth breakout",
    "liquidity_returning": "liquidity",
    "flight_to_safety": "flight to safety",
    "zweig_thrust_small": "Zweig, R2000",
    "zweig_thrust_large": "Zweig, S&P 500",
}
REGIME_SIGNAL = "regime:"

Row = dict[str, object]


class TapeDateError(ValueError):
    """The report date is not a trading date of the warehouse."""


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
    """One SVG chart with its title and caption."""

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
    regime_label: str
    regime_meaning: str
    summary: list[str]
    returns: Table
    signals: Table
    breadth: Table
    sectors: Table
    rotation: Table
    movers: Table
    whys: Table
    evidence: Table
    charts: dict[str, Chart] = field(default_factory=dict)


@cache
def query(name: str) -> str:
    """The SQL of `queries/<name>.sql`."""
    return (QUERIES_DIR / f"{name}.sql").read_text()


def rows(con: duckdb.DuckDBPyConnection, name: str, **variables: object) -> list[Row]:
    """The rows of query `name`, run with `variables` set as DuckDB variables."""
    for variable, value in variables.items():
        con.execute(f"SET VARIABLE {variable} = ?", [value])
    cursor = con.execute(query(name))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def recorded_rules(con: duckdb.DuckDBPyConnection) -> Rules:
    """The rules the marts were built with; the defaults where nothing was recorded."""
    (recorded,) = con.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE schema_name = 'meta' AND table_name = 'settings'"
    ).fetchone()
    settings = {row["name"]: row["value"] for row in rows(con, "settings")} if recorded else {}
    return Rules.from_recorded(settings)


def report_date(con: duckdb.DuckDBPyConnection, day: date | None = None) -> date:
    """The date to report on: `day` if it is a trading date of the marts, else the latest
    one; raises TapeDateError naming the date and the range the warehouse holds."""
    if day is None:
        (latest,) = rows(con, "latest_date")
        if latest["latest_date"] is None:
            raise TapeDateError(
                "marts.market_regime has no rows: materialize the marts before writing the tape"
            )
        return latest["latest_date"]
    (calendar,) = rows(con, "calendar", report_date=day)
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
    where = ""
    if calendar["first_date"] < day < calendar["last_date"]:
        where = (
            f"; {day} ({day:%A}) is not one of them: the nearest are "
            f"{calendar['previous_date']} and {calendar['next_date']}"
        )
    raise TapeDateError(f"no market data for {day} in marts.market_regime: {held}{where}")


def returns_table(divergence: Row) -> Table:
    """Both benchmarks' returns and their spread over each horizon."""
    table_rows = []
    for n in HORIZONS:
        small, large, spread = (
            divergence.get(f"small_ret_{n}d"),
            divergence.get(f"large_ret_{n}d"),
            divergence.get(f"spread_{n}d"),
        )
        table_rows.append(
            [
                Cell(f"{n} day" if n == 1 else f"{n} days"),
                signed(small, fmt_pct(small)),
                signed(large, fmt_pct(large)),
                signed(spread, fmt_points(None if missing(spread) else 100 * spread, 2)),
            ]
        )
    return Table(
        "returns",
        ["horizon", SMALL, LARGE, "spread (small - large)"],
        table_rows,
        "lrrr",
        note="Returns over trading days of each benchmark's own closes (marts.divergence_daily).",
    )


def summary_lines(divergence: Row, sensitivity: Row) -> list[str]:
    """The header's lines: levels, relative strength, breadth gap and rate sensitivity."""
    beta = sensitivity.get("beta_63d")
    beta_text = "n/a" if missing(beta) else f"{10_000 * beta:+.2f} bp per bp"
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


def coverage_lines(breadth: list[Row], floor: float) -> list[str]:
    """A warning for each universe priced below the coverage floor on the day."""
    lines = []
    for row in breadth:
        coverage, members = row["coverage_pct"], row["members"]
        if missing(coverage) or coverage >= floor:
            continue
        label = LARGE if row["universe"] == "large" else SMALL
        priced = round(coverage * members / 100)
        lines.append(
            f"Thin data: {label} has prices for {priced:,} of its {members:,} members today "
            f"({coverage:.1f}%, below {floor:g}%); its breadth counts only those."
        )
    return lines


def signals_table(regime: Row, rules: Rules, evidence: Evidence) -> Table:
    """The three watch signals: state, inputs, when each fires and what followed before."""
    days = regime.get("small_etf_high_volume_days_5d")
    signal_rows = [
        [
            Cell("Rate relief"),
            fmt_flag(regime.get("rate_relief")),
            Cell(
                f"10y {fmt_bp(regime.get('ust_10y_change_21d_bp'))} over 21 days; fed funds "
                f"{fmt_bp(regime.get('fed_funds_change_63d_bp'))} over 63 days"
            ),
            Cell(rules.rate_relief),
        ],
        [
            Cell("Breadth breakout"),
            fmt_flag(regime.get("breadth_breakout")),
            Cell(
                f"21-day correlation {fmt_number(regime.get('corr_21d'), 2)}; small caps above "
                f"SMA50 {fmt_share(regime.get('small_pct_above_sma50'))}"
            ),
            Cell(rules.breadth_breakout),
        ],
        [
            Cell("Liquidity returning"),
            fmt_flag(regime.get("liquidity_returning")),
            Cell(
                f"{rules.small_etf} relative volume "
                f"{fmt_times(regime.get('small_etf_relative_volume'))}; "
                f"{'n/a' if days is None else days} of the last 5 days at {rules.high_volume}"
            ),
            Cell(rules.liquidity_returning),
        ],
    ]
    for row, signal in zip(
        signal_rows, ("rate_relief", "breadth_breakout", "liquidity_returning"), strict=True
    ):
        row.append(followed(evidence.get((signal, 21), {})))
    return Table(
        "signals",
        ["signal", "state", "inputs", "fires when", "after it fired (21 days)"],
        signal_rows,
        "lllll",
        note=f"{FOLLOWED_NOTE} Each signal's full record is in the table below.",
    )


Evidence = dict[tuple[str, int], Row]
FOLLOWED_NOTE = (
    "After a firing (a date the signal turned on): the mean small-minus-large spread of "
    "the benchmarks over the next trading dates, the share of firings after which small "
    "caps did better, and how many firings (n). Over the whole stored history, in sample, "
    "with overlapping windows and few firings: read each figure with its n."
)


def evidence_by_signal(evidence_rows: list[Row]) -> Evidence:
    """The scorecard's rows by (signal, horizon)."""
    return {(row["signal"], row["horizon"]): row for row in evidence_rows}


def followed(row: Row) -> Cell:
    """What followed a signal's firings at one horizon: mean, hit rate and count."""
    firings = row.get("firings") or 0
    if not firings:
        return Cell("never fired" if row.get("last_firing") is None else "no window yet", "muted")
    mean = row["mean_fwd_spread"]
    return signed(
        mean,
        f"{fmt_points(_pp(mean), 2)}, {fmt_share(row['hit_rate_pct'], 0)} up (n={firings})",
    )


def evidence_table(evidence: Evidence, rules: Rules) -> Table:
    """Every signal and regime: on today, and what followed its firings at each horizon,
    with the base rate over every date last."""
    labels = {
        **WATCH_SIGNALS,
        **{
            signal: f"Regime: {rules.regime(signal[len(REGIME_SIGNAL) :])[0]}"
            for signal, _ in evidence
            if signal.startswith(REGIME_SIGNAL)
        },
    }
    table_rows = []
    for signal, label in labels.items():
        if (signal, EVIDENCE_HORIZONS[0]) not in evidence:
            continue
        today = evidence[(signal, EVIDENCE_HORIZONS[0])]["is_on"]
        table_rows.append(
            [Cell(label), fmt_flag(today)]
            + [followed(evidence[(signal, h)]) for h in EVIDENCE_HORIZONS]
        )
    if evidence:
        bases = [
            next(row["base_mean_fwd_spread"] for (_, h), row in evidence.items() if h == horizon)
            for horizon in EVIDENCE_HORIZONS
        ]
        table_rows.append(
            [Cell("Every date (base rate)"), Cell("")]
            + [signed(base, fmt_points(_pp(base), 2)) for base in bases]
        )
    return Table(
        "evidence",
        ["signal", "today", *(f"after {h} days" for h in EVIDENCE_HORIZONS)],
        table_rows,
        "llrrr",
        note=f"{FOLLOWED_NOTE} The base rate is the same spread over every date "
        "(marts.signal_scorecard; each firing in marts.signal_events).",
    )


def _pp(value: float | None) -> float | None:
    """A fraction in percentage points."""
    return None if missing(value) else 100 * value


NO_FUNDAMENTALS = "n/a: the warehouse holds no fundamentals (raw.fundamentals is empty)"
NO_WEIGHTS = "n/a: the warehouse holds no index weights (raw.index_weights is empty)"


def _fraction(row: Row, percent_column: str) -> float | None:
    value = row.get(percent_column)
    return None if missing(value) else value / 100


def whys_table(whys: Row, sensitivity: Row, regime: Row) -> Table:
    """The three reasons small caps lag, each with its numbers: rates (from the regime
    row), earnings risk, flight to safety; a missing input says what is missing."""
    beta = sensitivity.get("beta_63d")
    earnings_known = bool(whys.get("earnings_rows"))
    weights_known = bool(whys.get("concentration_rows"))

    def earnings(text: str) -> Cell:
        return Cell(text) if earnings_known else Cell(NO_FUNDAMENTALS, "muted")

    def weights(text: str) -> Cell:
        return Cell(text) if weights_known else Cell(NO_WEIGHTS, "muted")

    table_rows = [
        [
            Cell("Rates"),
            Cell(
                f"10y {fmt_bp(regime.get('ust_10y_change_21d_bp'))} over 21 days; daily spread "
                f"beta to the 10y {'n/a' if missing(beta) else f'{10_000 * beta:+.2f} bp per bp'}"
            ),
        ],
        [
            Cell("Earnings risk"),
            earnings(
                f"unprofitable over 12 months: {fmt_share(whys.get('small_unprofitable_pct'))} "
                f"of small vs {fmt_share(whys.get('large_unprofitable_pct'))} of large members; "
                f"TTM earnings year on year: small "
                f"{fmt_pct(_fraction(whys, 'small_ttm_yoy_pct'), 1)}, "
                f"large {fmt_pct(_fraction(whys, 'large_ttm_yoy_pct'), 1)}; "
                f"{fmt_number(whys.get('small_reported_21d'))} small members reported in 21 days"
            ),
        ],
        [
            Cell("Concentration"),
            weights(
                f"top 10 hold {fmt_share(whys.get('large_top10_weight_pct'))} of the {LARGE}; "
                f"cap minus equal weight over 21 days "
                f"{fmt_pct(whys.get('large_cap_minus_equal_21d'))}, of which the top 10 gave "
                f"{fmt_pct(whys.get('large_top10_contribution_21d'))}"
            ),
        ],
        [
            Cell("Flight to safety"),
            Cell(
                f"{fmt_flag(whys.get('flight_to_safety')).text}: "
                f"SPY minus RSP {fmt_pct(whys.get('cap_minus_equal_etf_21d'))}, defensive minus "
                f"cyclical {fmt_pct(whys.get('defensive_minus_cyclical_21d'))} over 21 days; "
                f"VIX {fmt_number(whys.get('vix_close'), 1)} "
                f"({fmt_number(whys.get('vix_change_5d'), 1, sign=True)} in 5 days), high-yield "
                f"spread {fmt_share(whys.get('hy_oas'), 2)} "
                f"({fmt_bp(whys.get('hy_oas_change_21d_bp'))} in 21 days)"
            ),
        ],
    ]
    return Table(
        "whys",
        ["why", "today"],
        table_rows,
        "ll",
        note="The reasons given for small caps lagging the S&P 500, each with its numbers "
        "(marts.rate_sensitivity, earnings_daily, concentration_daily, risk_appetite_daily).",
    )


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


def breadth_table(breadth: list[Row]) -> Table:
    """Both universes' breadth, one indicator per row."""
    by_universe = {row["universe"]: row for row in breadth}
    table_rows = []
    for label, column, fmt, toned in BREADTH_ROWS:
        cells = [Cell(label)]
        for universe in ("large", "small"):
            value = by_universe.get(universe, {}).get(column)
            cells.append(signed(value, fmt(value)) if toned else Cell(fmt(value)))
        table_rows.append(cells)
    thrust = [Cell("Zweig breadth thrust")]
    thrust += [fmt_flag(by_universe.get(u, {}).get("zweig_thrust")) for u in ("large", "small")]
    table_rows.append(thrust)
    return Table(
        "breadth",
        ["", f"large ({LARGE} members)", f"small ({SMALL} members)"],
        table_rows,
        "lrr",
        note="McClellan numbers are ratio-adjusted (RANA x 1000, no +1000 offset on the "
        "summation), so the two universes compare.",
    )


def sectors_table(sectors: list[Row]) -> Table:
    """Each sector's breadth in both universes."""
    table_rows = [
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
        table_rows,
        "lrrr",
    )


def rotation_table(heads: list[Row]) -> Table:
    """The rotation ETFs on the report date, leading quadrant first."""

    def order(row: Row) -> tuple[int, float]:
        quadrant = row["quadrant"]
        rank = QUADRANT_ORDER.index(quadrant) if quadrant in QUADRANT_ORDER else 4
        return rank, -(row["rs_ratio"] or 0.0)

    table_rows = [
        [
            Cell(str(row["symbol"])),
            Cell(str(row["quadrant"] or "n/a"), "" if row["quadrant"] else "muted"),
            Cell(fmt_number(row["rs_ratio"], 2)),
            Cell(fmt_number(row["rs_momentum"], 2)),
        ]
        for row in sorted(heads, key=order)
    ]
    return Table("rotation", ["symbol", "quadrant", "RS-ratio", "RS-momentum"], table_rows, "llrr")


def movers_table(movers: list[Row], rules: Rules) -> Table:
    """The top small-cap movers of the day."""
    table_rows = []
    for row in movers:
        catalyst = row["catalyst_like"]
        if catalyst is None:
            catalyst_cell = Cell("n/a", "muted")
        else:
            catalyst_cell = Cell("catalyst", "on") if catalyst else Cell("")
        table_rows.append(
            [
                Cell(str(row["rank"])),
                Cell(str(row["ticker"])),
                Cell(str(row["name"] or "n/a")),
                Cell(str(row["sector"] or "n/a")),
                signed(row["ret_1d"], fmt_pct(row["ret_1d"])),
                Cell(fmt_times(row["relative_volume"])),
                catalyst_cell,
                fmt_split(row["split_ratio"], row["reverse_split"]),
            ]
        )
    return Table(
        "movers",
        ["#", "ticker", "name", "sector", "1 day", "rel. volume", "catalyst-like", "split"],
        table_rows,
        "rllllrll",
        note=f"Top small-cap members by absolute 1-day return; {rules.catalyst}.",
    )


def _series(history: list[Row], column: str, scale: float = 1.0) -> list[tuple[date, float | None]]:
    return [(row["date"], None if missing(row[column]) else scale * row[column]) for row in history]


def charts(history: list[Row], trails: list[Row], rules: Rules) -> dict[str, Chart]:
    """The seven charts, by slug."""
    sessions = len(history)
    window = "the last session" if sessions == 1 else f"the last {sessions} sessions"
    benchmark = next((row["benchmark"] for row in trails if row["benchmark"]), "SPY")
    by_symbol: dict[str, list[tuple[float | None, float | None]]] = {}
    for row in trails:
        by_symbol.setdefault(row["symbol"], []).append((row["rs_ratio"], row["rs_momentum"]))
    decline, rally = rules.regime_lines
    made = [
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
            f"lines are the regime's {decline:g}% and {rally:g}% thresholds.",
            line_chart(
                "% of members above their 50-day SMA",
                {
                    f"large ({LARGE})": _series(history, "large_pct_above_sma50"),
                    f"small ({SMALL})": _series(history, "small_pct_above_sma50"),
                },
                y_label="% above SMA50",
                y_range=(0.0, 100.0),
                reference_lines=(decline, rally),
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
    made += [
        Chart(
            "unprofitable",
            "Members losing money over the trailing year",
            f"Percent of each universe's members with a trailing twelve-month net loss, {window} "
            "(point in time: a quarter counts from the day it was reported).",
            line_chart(
                "% of members unprofitable (TTM)",
                {
                    f"large ({LARGE})": _series(history, "large_unprofitable_pct"),
                    f"small ({SMALL})": _series(history, "small_unprofitable_pct"),
                },
                y_label="% unprofitable",
                width=600,
                height=290,
            ),
        ),
        Chart(
            "concentration",
            f"Top 10 weight of the {LARGE} and cap minus equal weight",
            f"The 10 largest members' share of the index (left) and the cap-weighted minus "
            f"the equal-weighted return of its members over 21 days, in percentage points "
            f"(right), {window}.",
            line_chart(
                f"{LARGE}: top 10 weight vs cap minus equal weight",
                {"top 10 weight (%)": _series(history, "large_top10_weight_pct")},
                secondary={
                    "cap minus equal, 21 days (pp)": _series(
                        history, "large_cap_minus_equal_21d", 100.0
                    )
                },
                y_label="% of the index",
                secondary_label="pp",
                width=600,
                height=290,
            ),
        ),
    ]
    return {chart.slug: chart for chart in made}


def firings_chart(firings: list[Row], evidence: Evidence) -> dict[str, Chart]:
    """The 21-day spread after each past firing of the watch signals and thrusts, by slug."""
    spreads: dict[str, list[float | None]] = {label: [] for label in SHORT_LABELS.values()}
    for row in firings:
        if row["signal"] in SHORT_LABELS:
            spreads[SHORT_LABELS[row["signal"]]].append(_pp(row["fwd_spread_21d"]))
    base = next((row["base_mean_fwd_spread"] for (_, h), row in evidence.items() if h == 21), None)
    chart = Chart(
        "firings",
        "What followed each firing",
        f"The {SMALL} minus {LARGE} return over the 21 trading dates after each past firing "
        "(a dot each; the bar is their mean), against that spread over every date (dashed). "
        "In sample, windows overlap, and n is small: a description of the past, not a forecast.",
        strip_chart(
            "Small minus large, 21 days after each firing",
            spreads,
            y_label="pp",
            reference=_pp(base),
            reference_label="every date (base rate)",
            width=760,
            height=320,
        ),
    )
    return {chart.slug: chart}


def build_tape(con: duckdb.DuckDBPyConnection, day: date | None = None) -> Tape:
    """Query the marts for the report date (the latest when `day` is None)."""
    day = report_date(con, day)
    rules = recorded_rules(con)
    (regime,) = rows(con, "regime", report_date=day)
    divergence = next(iter(rows(con, "divergence", report_date=day)), {})
    sensitivity = next(iter(rows(con, "rate_sensitivity", report_date=day)), {})
    history = rows(con, "history", report_date=day, lookback_sessions=LOOKBACK_SESSIONS)
    trails = rows(con, "rotation", report_date=day, tail_sessions=TAIL_SESSIONS)
    breadth = rows(con, "breadth", report_date=day)
    (whys,) = rows(con, "whys", report_date=day)
    evidence = evidence_by_signal(rows(con, "evidence", report_date=day))
    label, meaning = rules.regime(regime["regime"])
    return Tape(
        day=day,
        headline=str(regime["headline"] or "No headline: its inputs are missing on this date."),
        regime=regime["regime"],
        regime_label=label,
        regime_meaning=meaning,
        summary=coverage_lines(breadth, rules.coverage_floor_pct)
        + summary_lines(divergence, sensitivity),
        returns=returns_table(divergence),
        signals=signals_table(regime, rules, evidence),
        breadth=breadth_table(breadth),
        sectors=sectors_table(rows(con, "sector_breadth", report_date=day)),
        rotation=rotation_table([row for row in trails if row["date"] == day]),
        movers=movers_table(rows(con, "movers", report_date=day), rules),
        whys=whys_table(whys, sensitivity, regime),
        evidence=evidence_table(evidence, rules),
        charts={**charts(history, trails, rules), **firings_chart(rows(con, "firings"), evidence)},
    )
