"""The raw contract as row rules: what a row must satisfy before it may land.

Each rule is a polars expression that is true for a good row, and a reason built from the
row, so that a quarantined row says what is wrong and where. Duplicated keys in one batch
are rejected too: identical copies keep one row, conflicting copies keep none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import polars as pl

from orchestration.sources.base import ACTION_KINDS, RATE_SERIES, REJECTS_SCHEMA, UNIVERSES

KEYS: dict[str, tuple[str, ...]] = {
    "prices": ("ticker", "date"),
    "members": ("universe", "ticker", "valid_from"),
    "rates": ("series", "date"),
    "actions": ("ticker", "date", "kind"),
}

RATE_RANGE = (-5.0, 50.0)
CPI_RANGE = (1.0, 10_000.0)


@dataclass(frozen=True)
class Rule:
    """A named check on one raw table: `ok` is true for rows that pass."""

    table: str
    name: str
    ok: pl.Expr
    reason: pl.Expr


def _where(table: str) -> pl.Expr:
    key = KEYS[table]
    return pl.format(" ".join(["({}"] + ["{}"] * (len(key) - 1)) + ")", *[pl.col(k) for k in key])


def _rules(today: date) -> list[Rule]:
    price_cols = ("open", "high", "low", "close")
    rules = [
        Rule("prices", "close_present", pl.col("close").is_not_null(), pl.lit("close is missing")),
        *[
            Rule(
                "prices",
                f"{col}_positive",
                pl.col(col).is_null() | (pl.col(col) > 0),
                pl.format(f"{col} {{}} is not > 0", pl.col(col)),
            )
            for col in price_cols
        ],
        Rule(
            "prices",
            "high_not_below_low",
            pl.col("high").is_null() | pl.col("low").is_null() | (pl.col("high") >= pl.col("low")),
            pl.format("high {} is below low {}", pl.col("high"), pl.col("low")),
        ),
        Rule(
            "prices",
            "volume_not_negative",
            pl.col("volume").is_null() | (pl.col("volume") >= 0),
            pl.format("volume {} is negative", pl.col("volume")),
        ),
        Rule(
            "members",
            "known_universe",
            pl.col("universe").is_in(UNIVERSES),
            pl.format("universe '{}' is not one of large, small", pl.col("universe")),
        ),
        Rule(
            "members",
            "interval_ordered",
            pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("valid_from")),
            pl.format(
                "valid_to {} is before valid_from {}", pl.col("valid_to"), pl.col("valid_from")
            ),
        ),
        Rule(
            "rates",
            "known_series",
            pl.col("series").is_in(RATE_SERIES),
            pl.format("series '{}' is not one of " + ", ".join(RATE_SERIES), pl.col("series")),
        ),
        Rule("rates", "value_present", pl.col("value").is_not_null(), pl.lit("value is missing")),
        Rule(
            "rates",
            "value_plausible",
            pl.when(pl.col("series") == "cpi_index")
            .then(pl.col("value").is_between(*CPI_RANGE))
            .otherwise(pl.col("value").is_between(*RATE_RANGE)),
            pl.format(
                "value {} is outside the plausible range for {}", pl.col("value"), pl.col("series")
            ),
        ),
        Rule(
            "actions",
            "known_kind",
            pl.col("kind").is_in(ACTION_KINDS),
            pl.format("kind '{}' is not one of split, dividend", pl.col("kind")),
        ),
        Rule(
            "actions",
            "value_positive",
            pl.col("value").is_not_null() & (pl.col("value") > 0),
            pl.format("value {} is not > 0", pl.col("value")),
        ),
    ]
    for table, key in KEYS.items():
        rules.append(
            Rule(
                table,
                "key_present",
                pl.all_horizontal(*[pl.col(k).is_not_null() for k in key]),
                pl.lit("a key column (" + ", ".join(key) + ") is missing"),
            )
        )
        if "date" in key:
            rules.append(
                Rule(
                    table,
                    "not_in_future",
                    pl.col("date") <= today,
                    pl.format("date {} is after today " + today.isoformat(), pl.col("date")),
                )
            )
    return rules


HELPER_COLUMNS = ("_copies", "_versions", "_copy_number")


def _reject(frame: pl.DataFrame, table: str, rule: str, reason: pl.Expr) -> pl.DataFrame:
    record_frame = frame.drop([c for c in HELPER_COLUMNS if c in frame.columns])
    records = [json.dumps(r, default=str, sort_keys=True) for r in record_frame.to_dicts()]
    return frame.select(
        pl.lit(table).alias("table_name"),
        pl.Series("record", records, dtype=pl.String),
        pl.lit(rule).alias("rule"),
        pl.format("{}: {} {}", pl.lit(table), reason.fill_null("(null)"), _where(table)).alias(
            "reason"
        ),
    ).cast(REJECTS_SCHEMA)


def apply_contract(
    table: str, frame: pl.DataFrame, today: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a raw frame into the rows that may land and the rejected ones, with reasons.

    A row is rejected by the first rule it breaks; then duplicated keys are resolved
    (identical copies: one lands, the rest are rejected; conflicting copies: none lands).
    """
    rejected = []
    remaining = frame
    for rule in (r for r in _rules(today) if r.table == table):
        passes = remaining.select(rule.ok.fill_null(False)).to_series()
        failing = remaining.filter(~passes)
        if failing.height:
            rejected.append(_reject(failing, table, rule.name, rule.reason))
            remaining = remaining.filter(passes)

    key = list(KEYS[table])
    repeated = pl.len().over(key) > 1
    good = remaining.filter(~repeated)
    copies = remaining.filter(repeated).with_columns(
        pl.len().over(key).alias("_copies"),
        pl.struct(pl.all()).n_unique().over(key).alias("_versions"),
        pl.int_range(pl.len()).over(key).alias("_copy_number"),
    )
    conflicting = copies.filter(pl.col("_versions") > 1)
    extra_copies = copies.filter((pl.col("_versions") == 1) & (pl.col("_copy_number") > 0))
    if conflicting.height:
        reason = pl.format("the key appears {} times with different values", pl.col("_copies"))
        rejected.append(_reject(conflicting, table, "conflicting_duplicate", reason))
    if extra_copies.height:
        reason = pl.format("the row appears {} times; one copy kept", pl.col("_copies"))
        rejected.append(_reject(extra_copies, table, "duplicate_row", reason))
    kept_copies = copies.filter((pl.col("_versions") == 1) & (pl.col("_copy_number") == 0))
    good = pl.concat([good, kept_copies.drop(list(HELPER_COLUMNS))])
    rejects = pl.concat(rejected) if rejected else pl.DataFrame(schema=REJECTS_SCHEMA)
    return good, rejects
