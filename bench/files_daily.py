"""The `files` source's evening run, measured: a directory of the whole history, loaded
into an empty warehouse, then the same directory rewritten with one trading day more.

The directory is the sample market as a vendor would deliver it on each of its last two
sessions (prices re-adjusted for the splits and dividends known by then), written in the
`files` layout. Each run is the `daily_refresh` job in its own process (see `bench.daily`).
"""

from __future__ import annotations

from pathlib import Path

from bench.daily import last_two_sessions, measure_run, step_table
from orchestration.sources.files import FILE_SPECS, FILE_STEMS
from orchestration.sources.sample.source import DEFAULT_END, SampleMarket, as_of, generate

SEED = 42


def write_layout(directory: Path, market: SampleMarket) -> None:
    """The market's raw tables as the `files` layout's CSV files in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for table in FILE_SPECS:
        getattr(market, table).write_csv(directory / f"{FILE_STEMS.get(table, table)}.csv")


def files_report(workdir: Path, label: str, members: int, years: int) -> list[str]:
    """A full build from a directory, then the directory with one more day."""
    before, last = last_two_sessions()
    market = generate(members, years, SEED, DEFAULT_END)
    directory = workdir / f"files_{label}"
    warehouse = workdir / f"files_{label}.duckdb"
    settings = {"CAPGAP_SOURCE": "files", "CAPGAP_FILES_DIR": str(directory)}
    write_layout(directory, as_of(market, before))
    full = measure_run(warehouse, **settings)
    write_layout(directory, as_of(market, last))
    del market
    day = measure_run(warehouse, **settings)
    warehouse.unlink()
    ingest = "raw_tables"
    return [
        f"files source, {label} ({members} x {years}y): the directory through {before} into "
        f"an empty warehouse, then the directory rewritten through {last}",
        *step_table(full, day),
        f"full build: {full.process_seconds:.1f} s wall for the process, "
        f"peak RSS {full.peak_rss_mib:,.0f} MiB",
        f"one day:    {day.process_seconds:.1f} s wall for the process, "
        f"peak RSS {day.peak_rss_mib:,.0f} MiB",
        f"targets: the evening's {ingest} >= 10x cheaper than a full build's: "
        f"{full.step_seconds[ingest] / day.step_seconds[ingest]:.1f}x "
        f"({full.step_seconds[ingest]:.1f} s against {day.step_seconds[ingest]:.1f} s); "
        f"the whole job {full.job_seconds / day.job_seconds:.1f}x",
    ]
