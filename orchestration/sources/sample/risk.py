"""The sample market's risk gauges, drawn from its own index paths: a VIX that rises with the
large index's realised volatility and drawdown, and a high-yield spread that widens as the
small index falls from its high, both with slow noise of their own."""

from __future__ import annotations

import numpy as np
import polars as pl

from orchestration.sources.sample.calendar import Calendar
from orchestration.sources.sample.market import ar1

VIX = "vix"
HY_OAS = "hy_oas"
VOL_WINDOW = 21
TRADING_DAYS = 252
VIX_BASE = 1.5
VIX_PER_VOL = 1.0  # VIX points per point of annualised realised volatility
VIX_PER_DRAWDOWN = 12.0  # points per unit of drawdown
VIX_NOISE, VIX_PERSISTENCE = 0.9, 0.9
VIX_RANGE = (9.0, 85.0)
OAS_BASE = 3.0  # percent
OAS_PER_DRAWDOWN = 9.0
OAS_NOISE, OAS_PERSISTENCE = 0.03, 0.99
OAS_RANGE = (2.3, 20.0)


def _realised_volatility(close: np.ndarray) -> np.ndarray:
    """Annualised volatility of the last `VOL_WINDOW` log returns, in percent (fewer at
    the start)."""
    returns = np.diff(np.log(close), prepend=np.log(close[0]))
    frame = pl.DataFrame({"r": returns})
    window = frame.select(pl.col("r").rolling_std(VOL_WINDOW, min_samples=2)).to_series()
    return window.fill_null(0.0).to_numpy() * np.sqrt(TRADING_DAYS) * 100


def _drawdown(close: np.ndarray) -> np.ndarray:
    return close / np.maximum.accumulate(close) - 1.0


def simulate_risk(
    cal: Calendar, large_close: np.ndarray, small_close: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """`vix` on every session and `hy_oas` on the bond market's sessions, as rates rows."""
    n = cal.n
    vix = (
        VIX_BASE
        + VIX_PER_VOL * _realised_volatility(large_close)
        - VIX_PER_DRAWDOWN * _drawdown(large_close)
        + ar1(rng.normal(0.0, VIX_NOISE, n), VIX_PERSISTENCE)
    )
    oas = (
        OAS_BASE
        - OAS_PER_DRAWDOWN * _drawdown(small_close)
        + ar1(rng.normal(0.0, OAS_NOISE, n), OAS_PERSISTENCE)
    )
    open_days = ~cal.bond_holiday
    return pl.concat(
        [
            pl.DataFrame(
                {
                    "series": VIX,
                    "date": cal.sessions,
                    "value": np.round(np.clip(vix, *VIX_RANGE), 2),
                }
            ),
            pl.DataFrame(
                {
                    "series": HY_OAS,
                    "date": cal.sessions[open_days],
                    "value": np.round(np.clip(oas, *OAS_RANGE), 2)[open_days],
                }
            ),
        ]
    ).with_columns(pl.col("date").cast(pl.Date))
