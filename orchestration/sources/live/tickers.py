"""Tickers in Yahoo's form, however a list spells them.

A share class is written three ways: `BRK.B` (Wikipedia, S&P), `BRK-B` (Yahoo, SEC) and
`BRKB` (iShares holdings files). The first two differ only in the separator. The third
cannot be split by rule (`MOGA` is Moog class A, `ZETA` is Zeta Global, `META` is Meta), so
it is looked up in a list of known class-share tickers: the SEC's ticker map and the S&P
500 list, both of which write the separator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

SEC_TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
_CLASS_SHARE = re.compile(r"^[A-Z0-9]+-[A-Z]$")


class TickerListError(ValueError):
    """A ticker list that is not in the form this parser knows."""


def yahoo_symbol(symbol: str) -> str:
    """A listed symbol in Yahoo's form: upper case, a share class after a dash."""
    return re.sub(r"[.\s/]+", "-", symbol.strip().upper())


@dataclass(frozen=True)
class TickerForms:
    """Known class-share tickers, by their spelling without the separator (`BRKB`)."""

    joined: dict[str, str]
    known: frozenset[str]

    @classmethod
    def of(cls, tickers: Iterable[str]) -> TickerForms:
        """The forms of `tickers` (any spelling with a separator; others are known as is)."""
        symbols = {yahoo_symbol(t) for t in tickers if t and t.strip()}
        joined = {s.replace("-", ""): s for s in symbols if _CLASS_SHARE.match(s)}
        return cls(joined=joined, known=frozenset(symbols))

    def merged(self, other: TickerForms) -> TickerForms:
        """Both lists' tickers."""
        return TickerForms({**other.joined, **self.joined}, self.known | other.known)

    def resolve(self, symbol: str) -> str:
        """`symbol` in Yahoo's form: a known ticker stays, a class share written without its
        separator (`BRKB`) gets it back (`BRK-B`), anything else is `yahoo_symbol`'s."""
        plain = yahoo_symbol(symbol)
        if plain in self.known or "-" in plain:
            return plain
        return self.joined.get(plain, plain)


def parse_sec_tickers(data: bytes | str) -> TickerForms:
    """The tickers of the SEC's `company_tickers.json` (an object of {cik_str, ticker, title})."""
    return TickerForms.of(entry["ticker"] for entry in _sec_entries(data))


def parse_sec_ciks(data: bytes | str) -> dict[str, int]:
    """Each ticker of the SEC's `company_tickers.json` with its company's CIK, in the map's
    order (a company's main listing comes before its other share classes)."""
    return {yahoo_symbol(entry["ticker"]): int(entry["cik_str"]) for entry in _sec_entries(data)}


def _sec_entries(data: bytes | str) -> list[dict]:
    """The entries of `company_tickers.json`, each with a ticker and a CIK."""
    try:
        entries = list(json.loads(data).values())
        for entry in entries:
            if not (isinstance(entry["ticker"], str) and int(entry["cik_str"]) > 0):
                raise ValueError(entry)
    except (ValueError, AttributeError, KeyError, TypeError) as error:
        start = data[:60] if isinstance(data, str) else data[:60].decode("utf-8", "replace")
        raise TickerListError(
            f"SEC ticker map: expected company_tickers.json, got {start.strip()!r}"
        ) from error
    if not entries:
        raise TickerListError("SEC ticker map: the list is empty")
    return entries
