"""The fan-out, measured: a first build on one node against the same build by buckets of
tickers, each bucket in its own process, and the two warehouses compared table by table.

The single-node run is the `daily_refresh` job in process (see `bench.daily`). The
bucketed run is the same job with `CAPGAP_BUCKETS` set, launched the way `capgap run`
launches it: every step in its own process under the multiprocess executor, the bucket
steps `CAPGAP_WORKERS` at a time. Both draw the same sample market from one cache.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import duckdb

from bench.daily import measure_run

BUCKETED_STEPS = ("staging__price_series", "staging__member_prices")
FANNED_STEPS = "bucketed_staging."
FANNED = "bucketed_staging, first step start to last step end"


def worker() -> dict[str, object]:
    """Run `daily_refresh` with its executor, as the CAPGAP_* environment says; return
    what it measured (`peak_rss_mib`: the largest bucket worker's)."""
    import dagster as dg

    from orchestration.definitions import daily_refresh_job

    with dg.DagsterInstance.local_temp() as instance:
        started = time.perf_counter()
        result = dg.execute_job(dg.reconstructable(daily_refresh_job), instance=instance)
        job_seconds = time.perf_counter() - started
        if not result.success:
            raise RuntimeError("the bucketed daily_refresh failed; its run log says why")
        stats = instance.get_run_step_stats(result.run_id)
        steps = {step.step_key: step.end_time - step.start_time for step in stats}
        fanned = [step for step in stats if step.step_key.startswith(FANNED_STEPS)]
        steps[FANNED] = max(s.end_time for s in fanned) - min(s.start_time for s in fanned)
        materialization = instance.get_latest_materialization_event(
            dg.AssetKey(["staging", "price_series"])
        )
        peak = materialization.asset_materialization.metadata["peak_worker_mib"].value
    return {"job_seconds": job_seconds, "peak_rss_mib": peak, "step_seconds": steps}


def differences(single: Path, fanned: Path) -> list[str]:
    """The staging and mart tables whose rows differ between the two warehouses."""
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{single}' AS single (READ_ONLY)")
        con.execute(f"ATTACH '{fanned}' AS fanned (READ_ONLY)")
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_catalog = 'single' AND table_schema IN ('staging', 'marts') ORDER BY 1"
        ).fetchall()
        found = []
        for (table,) in tables:
            (rows, missing, extra) = con.execute(
                f"SELECT (SELECT count(*) FROM single.{table}), "
                f"(SELECT count(*) FROM (FROM single.{table} EXCEPT ALL FROM fanned.{table})), "
                f"(SELECT count(*) FROM (FROM fanned.{table} EXCEPT ALL FROM single.{table}))"
            ).fetchall()[0]
            if missing or extra:
                found.append(f"{table}: {missing} of {rows} rows differ, {extra} extra")
    return found


def fanout_report(
    workdir: Path,
    label: str,
    members: int,
    years: int,
    buckets: int,
    workers: int,
    memory_limit: str,
) -> list[str]:
    """A first build on one node and by buckets, the warehouse's DuckDB given
    `memory_limit` in both (each bucket worker keeps its own 384 MB); the figures and the
    comparison."""
    sample = {
        "CAPGAP_MEMORY_LIMIT": memory_limit,
        "CAPGAP_SAMPLE_MEMBERS": str(members),
        "CAPGAP_SAMPLE_YEARS": str(years),
        "CAPGAP_SAMPLE_CACHE": str(workdir / "sample-cache"),
    }
    single, fanned = workdir / f"single_{label}.duckdb", workdir / f"fanned_{label}.duckdb"
    one = measure_run(single, **sample)
    layout = {
        "CAPGAP_BUCKETS": str(buckets),
        "CAPGAP_WORKERS": str(workers),
        "CAPGAP_DATASET": str(workdir / f"dataset_{label}"),
    }
    fan = measure_run(fanned, "bench.fanout", **sample, **layout)
    found = differences(single, fanned)
    equal = "partitioned build equal" if not found else "partitioned build DIFFERS"
    one_part = sum(one.step_seconds[step] for step in BUCKETED_STEPS)
    steps = sorted(s for s in fan.step_seconds if s.startswith(FANNED_STEPS + "build_bucket"))
    bucket_seconds = [fan.step_seconds[s] for s in steps]
    return [
        f"fan-out, {label} ({members} x {years}y): a first build on one node, then by "
        f"{buckets} buckets on {workers} workers ({os.cpu_count()} cores); the warehouse's "
        f"DuckDB {memory_limit}, each bucket worker's 384 MB",
        f"{equal}: every staging and mart table of the two warehouses compared row for row"
        + "".join(f"\n  {line}" for line in found),
        f"price_series + member_prices: one node {one_part:.1f} s; by buckets "
        f"{fan.step_seconds[FANNED]:.1f} s from the plan's start to the publish's end "
        f"({one_part / fan.step_seconds[FANNED]:.2f}x): the plan (exporting the inputs) "
        f"{fan.step_seconds[FANNED_STEPS + 'plan_buckets']:.1f} s, each bucket "
        f"{min(bucket_seconds):.1f}-{max(bucket_seconds):.1f} s, the publish "
        f"{fan.step_seconds[FANNED_STEPS + 'publish_buckets']:.1f} s",
        f"whole job: one node {one.job_seconds:.1f} s (peak RSS {one.peak_rss_mib:,.0f} MiB, "
        f"one process); by buckets {fan.job_seconds:.1f} s (every step its own process), "
        f"peak per bucket worker {fan.peak_rss_mib:,.0f} MiB",
        f"speed-up of the whole job on this machine: {one.job_seconds / fan.job_seconds:.2f}x",
    ]


if __name__ == "__main__":
    print(json.dumps(worker()))
