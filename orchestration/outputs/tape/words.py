"""The tape's rules in words, from the settings the marts were built with.

The thresholds are read from `meta.settings` (what each published mart recorded), so the page
says what the numbers were computed with; a warehouse that recorded none reads as the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from orchestration.defs.resources import IndicatorSettings


@dataclass(frozen=True)
class Rules:
    """The settings the tape's words state."""

    small_etf: str
    regime_decline_pct_above_sma50: float
    regime_rally_pct_above_sma50: float
    regime_leadership_spread_63d: float
    rate_relief_10y_change_bp: float
    breadth_breakout_corr_21d: float
    breadth_breakout_pct_above_sma50: float
    liquidity_relative_volume: float
    liquidity_high_volume_days: int
    catalyst_relative_volume: float
    coverage_floor_pct: float

    @classmethod
    def from_recorded(cls, recorded: Mapping[str, str]) -> Rules:
        """The rules from recorded (name, text value) settings; a name not recorded takes
        its default."""
        defaults = IndicatorSettings().variables()
        values = {}
        for rule in fields(cls):
            default = defaults[rule.name]
            text = recorded.get(rule.name)
            values[rule.name] = default if text is None else type(default)(text)
        return cls(**values)

    def regime(self, regime: str | None) -> tuple[str, str]:
        """A regime's label and what it means."""
        lead = f"{100 * self.regime_leadership_spread_63d:g} points or more over 63 days"
        meanings = {
            "broad_decline": (
                "Broad decline",
                "both benchmarks down over 21 days and at most "
                f"{self.regime_decline_pct_above_sma50:g}% of members above their 50-day SMA",
            ),
            "broad_rally": (
                "Broad rally",
                "both benchmarks up over 21 days and at least "
                f"{self.regime_rally_pct_above_sma50:g}% of members above their 50-day SMA",
            ),
            "small_cap_leadership": (
                "Small-cap leadership",
                f"small caps ahead of large by {lead}",
            ),
            "large_cap_leadership": (
                "Large-cap leadership",
                f"large caps ahead of small by {lead}",
            ),
            "mixed": ("Mixed", "no broad move and no clear leader over 63 days"),
        }
        if regime is None:
            return "n/a", "not classified: one of its inputs is missing on this date"
        return meanings.get(regime, (regime, ""))

    @property
    def regime_lines(self) -> tuple[float, float]:
        """The % above SMA 50 that the broad regimes need: decline at most, rally at least."""
        return self.regime_decline_pct_above_sma50, self.regime_rally_pct_above_sma50

    @property
    def rate_relief(self) -> str:
        """When rate relief fires."""
        change = self.rate_relief_10y_change_bp
        ten_year = (
            f"10y down {-change:g} bp or more" if change <= 0 else f"10y up {change:g} bp at most"
        )
        return f"{ten_year} over 21 days, or a fed funds cut within 63 days"

    @property
    def breadth_breakout(self) -> str:
        """When the breadth breakout fires."""
        return (
            f"correlation at least {self.breadth_breakout_corr_21d:.2f} and at least "
            f"{self.breadth_breakout_pct_above_sma50:g}% of small caps above their SMA50"
        )

    @property
    def high_volume(self) -> str:
        """What makes a high-volume day of the small ETF."""
        return f"{self.liquidity_relative_volume:g}x or more"

    @property
    def liquidity_returning(self) -> str:
        """When liquidity returning fires."""
        return (
            f"{self.liquidity_high_volume_days} of the last 5 sessions with {self.small_etf} "
            f"volume at least {self.liquidity_relative_volume:g}x its 50-day average"
        )

    @property
    def catalyst(self) -> str:
        """What catalyst-like means."""
        return (
            f"catalyst-like means volume at least {self.catalyst_relative_volume:g}x the "
            "member's 50-day average"
        )
