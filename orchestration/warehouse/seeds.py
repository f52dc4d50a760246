"""The seed lists the warehouse is built around, read from the SQL that creates them
(`sql/ddl/seeds.sql`), so Python and the models share one list."""

from __future__ import annotations

from functools import cache

import duckdb

from orchestration.paths import DDL_DIR

SEEDS_SQL = DDL_DIR / "seeds.sql"


@cache
def benchmark_symbols() -> tuple[tuple[str, str, str], ...]:
    """(symbol, role, description) of every benchmark index and ETF, in the seed's order."""
    with duckdb.connect() as con:
        con.execute(SEEDS_SQL.read_text())
        return tuple(con.execute("SELECT * FROM meta.benchmark_symbols").fetchall())


def symbols(*roles: str) -> tuple[str, ...]:
    """The benchmark symbols with one of `roles` (all of them without), in the seed's order."""
    return tuple(s for s, role, _ in benchmark_symbols() if not roles or role in roles)


def sector_etfs() -> dict[str, str]:
    """Each GICS sector's SPDR ETF, by sector name."""
    return {description: s for s, role, description in benchmark_symbols() if role == "sector_etf"}
