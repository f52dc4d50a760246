"""How the tape writes numbers: the way a trader reads them, a null as "n/a"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and a tone for the HTML page (up, down, on, off, muted)."""

    text: str
    tone: str = ""


def missing(value: object) -> bool:
    """Whether a value is null (None or NaN)."""
    return value is None or (isinstance(value, float) and value != value)


def fmt_pct(value: float | None, decimals: int = 2, sign: bool = True) -> str:
    """A fraction as a percent: 0.0123 -> '+1.23%'."""
    if missing(value):
        return "n/a"
    return f"{100 * value:{'+' if sign else ''}.{decimals}f}%"


def fmt_share(value: float | None, decimals: int = 1) -> str:
    """A value already in percent (0-100): 43.75 -> '43.8%'."""
    return "n/a" if missing(value) else f"{value:.{decimals}f}%"


def fmt_points(value: float | None, decimals: int = 1) -> str:
    """A difference of percentages, in percentage points: -9.88 -> '-9.9 pp'."""
    return "n/a" if missing(value) else f"{value:+.{decimals}f} pp"


def fmt_bp(value: float | None) -> str:
    """A change in basis points: -12.4 -> '-12 bp'; one that rounds to zero is '0 bp'."""
    if missing(value):
        return "n/a"
    return "0 bp" if round(value) == 0 else f"{value:+.0f} bp"


def fmt_number(value: float | None, decimals: int = 0, sign: bool = False) -> str:
    """A number with thousands separators: 12345.6 -> '12,346'."""
    if missing(value):
        return "n/a"
    return f"{value:{'+' if sign else ''},.{decimals}f}"


def fmt_times(value: float | None) -> str:
    """A multiple: relative volume 0.49 -> '0.49x'."""
    return "n/a" if missing(value) else f"{value:.2f}x"


def fmt_flag(value: bool | None) -> Cell:
    """A signal's state: ON, off or n/a."""
    if value is None:
        return Cell("n/a", "muted")
    return Cell("ON", "on") if value else Cell("off", "off")


def fmt_split(ratio: float | None, reverse: bool | None) -> Cell:
    """A split as traders write it: 2.0 -> '2-for-1', 0.1 -> '1-for-10 reverse'."""
    if missing(ratio):
        return Cell("n/a" if reverse is None else "", "muted")
    if ratio >= 1:
        return Cell(f"{ratio:g}-for-1")
    return Cell(f"1-for-{1 / ratio:g} reverse", "down")


def signed(value: float | None, text: str) -> Cell:
    """A cell coloured by the sign of `value`."""
    if missing(value):
        return Cell(text, "muted")
    return Cell(text, "" if value == 0 else "up" if value > 0 else "down")
