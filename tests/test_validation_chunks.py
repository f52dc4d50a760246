"""Checks run on a large frame in chunks find what one pass over the whole frame finds."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.warehouse import validation
from orchestration.warehouse.validation import Check, run_checks

CHECKS = [
    Check.from_contract(
        {
            "name": "key_unique",
            "expect": "expect_compound_columns_to_be_unique",
            "column_list": ["ticker", "day"],
        }
    ),
    Check.from_contract(
        {
            "name": "close_positive",
            "expect": "expect_column_values_to_be_between",
            "column": "close",
            "min_value": 0,
            "strict_min": True,
        }
    ),
]


def summary(outcomes: list[validation.Outcome]) -> list[tuple]:
    return [
        (o.check.name, o.success, o.checked_rows, o.unexpected_count, sorted(o.failing_rows))
        for o in outcomes
    ]


def test_chunks_find_the_same_failures_as_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """5,000 rows with 40 repeated keys and 25 bad closes, checked whole and in 17 chunks:
    every repeated key still meets its twin in one chunk."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE bars AS SELECT 'T' || (i % 250) AS ticker, i // 250 AS day, "
        "CASE WHEN i % 200 = 7 THEN -1.0 ELSE 10.0 END AS close FROM range(5000) AS r(i) "
        "UNION ALL SELECT 'T' || (i % 250), i // 250, 10.0 FROM range(0, 4000, 100) AS r(i)"
    )
    whole = summary(run_checks(con, CHECKS, "bars"))
    monkeypatch.setattr(validation, "CHUNK_ROWS", 300)
    chunked = summary(run_checks(con, CHECKS, "bars"))
    assert chunked == whole
    assert [(name, count) for name, _, _, count, _ in whole] == [
        ("key_unique", 80),
        ("close_positive", 25),
    ]
