"""The whole daily run, measured: a full build of every asset, then one trading day more.

Each run is the `daily_refresh` job through Dagster (ingest, staging, marts, every GX
check) in its own process on a fresh ephemeral instance, so its wall time and peak RSS are
its own. The first run builds the sample market through its second-to-last session into an
empty warehouse; the second, with `CAPGAP_SAMPLE_THROUGH` one session later, is the
evening run of a warehouse that is up to date: it fetches the new day (and the overlap),
rebuilds the staging rows that changed and recomputes the marts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from orchestration.paths import PROJECT_ROOT
from orchestration.peak_memory import peak_rss_mib
from orchestration.sources.sample.source import DEFAULT_END
from orchestration.warehouse.trading_calendar import nyse_sessions


@dataclass(frozen=True)
class DailyRun:
    """What one run of the job measured."""

    process_seconds: float
    job_seconds: float
    peak_rss_mib: float
    step_seconds: dict[str, float]


def last_two_sessions(end: date = DEFAULT_END) -> tuple[date, date]:
    """The sample market's last two sessions."""
    *_, before, last = nyse_sessions(end - timedelta(days=10), end)
    return before, last


def worker() -> dict[str, object]:
    """Run `daily_refresh` once as the CAPGAP_* environment says; return what it measured."""
    import dagster as dg

    from orchestration.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    result = defs.resolve_job_def("daily_refresh").execute_in_process(instance=instance)
    job_seconds = time.perf_counter() - started
    steps = {
        stats.step_key: stats.end_time - stats.start_time
        for stats in instance.get_run_step_stats(result.run_id)
    }
    return {
        "job_seconds": job_seconds,
        "peak_rss_mib": peak_rss_mib(),
        "step_seconds": steps,
    }


def measure(warehouse: Path, members: int, years: int, through: date) -> DailyRun:
    """One run of the job on the sample source in a subprocess, through `through`, into
    `warehouse`."""
    return measure_run(
        warehouse,
        CAPGAP_SAMPLE_MEMBERS=str(members),
        CAPGAP_SAMPLE_YEARS=str(years),
        CAPGAP_SAMPLE_THROUGH=through.isoformat(),
    )


def measure_run(warehouse: Path, worker_module: str = "bench.daily", **settings: str) -> DailyRun:
    """One run of the job in a subprocess into `warehouse`, configured by the CAPGAP_*
    `settings`; `worker_module` runs it and prints what it measured."""
    env = {**os.environ, "CAPGAP_WAREHOUSE": str(warehouse), **settings}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", worker_module],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
        env=env,
    )
    process_seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"daily_refresh with {settings} failed: {tail}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return DailyRun(process_seconds=process_seconds, **measured)


def step_table(full: DailyRun, day: DailyRun) -> list[str]:
    """The seconds of each step in a full build and in the run of one more day."""
    rows = [["step", "full s", "one day s", "full/day"]]
    for step, seconds in full.step_seconds.items():
        took = day.step_seconds.get(step, float("nan"))
        rows.append([step, f"{seconds:.2f}", f"{took:.2f}", f"{seconds / took:.1f}"])
    rows.append(
        [
            "whole job",
            f"{full.job_seconds:.2f}",
            f"{day.job_seconds:.2f}",
            f"{full.job_seconds / day.job_seconds:.1f}",
        ]
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]


def daily_report(workdir: Path, label: str, members: int, years: int) -> list[str]:
    """A full build, then one more day: a table per step and the whole runs' figures."""
    before, last = last_two_sessions()
    warehouse = workdir / f"daily_{label}.duckdb"
    full = measure(warehouse, members, years, before)
    day = measure(warehouse, members, years, last)
    warehouse.unlink()
    return [
        f"daily run, {label} ({members} x {years}y): full build through {before}, then "
        f"the run of {last}",
        *step_table(full, day),
        f"full build: {full.process_seconds:.1f} s wall for the process "
        f"(Python and Dagster start included), peak RSS {full.peak_rss_mib:,.0f} MiB",
        f"one day:    {day.process_seconds:.1f} s wall for the process, "
        f"peak RSS {day.peak_rss_mib:,.0f} MiB",
        f"targets: one day >= 20x faster than the full build: "
        f"{full.job_seconds / day.job_seconds:.1f}x; the daily run's job under 10 s: "
        f"{day.job_seconds:.1f} s (the process {day.process_seconds:.1f} s); a full build's "
        f"peak under 2,048 MiB: {full.peak_rss_mib:,.0f} MiB",
    ]


if __name__ == "__main__":
    print(json.dumps(worker()))
