"""The drawn sample market kept on disk, so a run does not draw ten years again for one day.

A market is stored under a key made of its arguments and a digest of the code that draws
it: a change to the generator draws afresh, and an entry for other arguments or older code
is removed when a new one is stored. An entry is written to a temporary directory and
renamed into place, so a reader never sees half of one and two runs storing the same entry
at once both end with a whole one. A missing, unreadable or partial entry is drawn again.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import fields
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from orchestration.sources import base
from orchestration.sources.sample.source import Rebasing, SampleMarket, generate

SAMPLE_CODE = Path(__file__).parent
FRAMES = [f.name for f in fields(SampleMarket) if f.name != "rebasing"]
REBASING = "rebasing.npz"


def _code_digest() -> str:
    """A digest of the generator's code and the raw schemas it fills."""
    digest = hashlib.sha256()
    for path in [*sorted(SAMPLE_CODE.glob("*.py")), Path(base.__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def entry_name(members: int, years: int, seed: int, end: date) -> str:
    """The directory name of one market's entry."""
    return f"m{members}-y{years}-s{seed}-e{end.isoformat()}-{_code_digest()}"


def _read(entry: Path) -> SampleMarket | None:
    try:
        frames = {name: pl.read_parquet(entry / f"{name}.parquet") for name in FRAMES}
        with np.load(entry / REBASING) as arrays:
            rebasing = Rebasing(arrays["tickers"], arrays["sessions"], arrays["factors"])
    except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
        return None
    return SampleMarket(**frames, rebasing=rebasing)


def _write(directory: Path, name: str, market: SampleMarket) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=directory))
    try:
        for frame in FRAMES:
            getattr(market, frame).write_parquet(staging / f"{frame}.parquet", compression="lz4")
        rebasing = market.rebasing
        np.savez(
            staging / REBASING,
            tickers=rebasing.tickers,
            sessions=rebasing.sessions,
            factors=rebasing.factors,
        )
        staging.rename(directory / name)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return
    for other in directory.iterdir():
        if other.name != name and other.is_dir() and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)


def cached_market(
    directory: Path | None, members: int, years: int, seed: int, end: date
) -> SampleMarket:
    """The market `generate` draws for these arguments, read from `directory` when an entry
    is there, else drawn and stored there (None: drawn, nothing stored)."""
    if directory is None:
        return generate(members, years, seed, end)
    name = entry_name(members, years, seed, end)
    market = _read(directory / name)
    if market is None:
        shutil.rmtree(directory / name, ignore_errors=True)
        market = generate(members, years, seed, end)
        _write(directory, name, market)
    return market
