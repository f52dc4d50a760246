"""The drawn sample market kept on disk: read back equal to a fresh draw, redrawn when the
entry is damaged, and replaced when the arguments change."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
from polars.testing import assert_frame_equal

from orchestration.sources.base import FetchRequest
from orchestration.sources.sample.cache import FRAMES, cached_market, entry_name
from orchestration.sources.sample.source import SampleMarket, SampleSource, generate

END = date(2026, 11, 20)
ARGS = (40, 1, 7, END)


def assert_same_market(got: SampleMarket, want: SampleMarket) -> None:
    for frame in FRAMES:
        assert_frame_equal(getattr(got, frame), getattr(want, frame), check_exact=True)
    for array in ("tickers", "sessions", "factors"):
        np.testing.assert_array_equal(getattr(got.rebasing, array), getattr(want.rebasing, array))


def test_a_stored_market_reads_back_as_drawn(tmp_path: Path) -> None:
    drawn = cached_market(tmp_path, *ARGS)
    assert (tmp_path / entry_name(*ARGS)).is_dir()
    assert_same_market(cached_market(tmp_path, *ARGS), generate(*ARGS))
    assert_same_market(drawn, generate(*ARGS))


def test_a_damaged_entry_is_drawn_again(tmp_path: Path) -> None:
    cached_market(tmp_path, *ARGS)
    (tmp_path / entry_name(*ARGS) / "prices.parquet").write_bytes(b"not parquet")
    assert_same_market(cached_market(tmp_path, *ARGS), generate(*ARGS))
    assert_same_market(cached_market(tmp_path, *ARGS), generate(*ARGS))


def test_an_entry_for_other_arguments_is_replaced(tmp_path: Path) -> None:
    cached_market(tmp_path, *ARGS)
    other = (40, 1, 8, END)
    cached_market(tmp_path, *other)
    assert [p.name for p in tmp_path.iterdir()] == [entry_name(*other)]


def test_the_source_fetches_the_same_batch_with_a_cache(tmp_path: Path) -> None:
    request = FetchRequest(today=END)
    plain = SampleSource(40, 1, 7).fetch(request)
    cold = SampleSource(40, 1, 7, cache_dir=tmp_path).fetch(request)
    warm = SampleSource(40, 1, 7, cache_dir=tmp_path).fetch(request)
    for batch in (cold, warm):
        for table in ("prices", "members", "rates", "actions", "index_weights", "fundamentals"):
            assert_frame_equal(batch.table(table), plain.table(table), check_exact=True)
