"""`capgap run`: materialize every asset through Dagster, then print the latest day."""

from __future__ import annotations

import argparse
import os
import sys
import time

import dagster as dg

CONSOLE_AT_INFO = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def run() -> int:
    """Run the daily_refresh job in process and print the summary of the latest day."""
    from orchestration.definitions import defs
    from orchestration.summary import latest_day_summary

    started = time.perf_counter()
    job = defs.resolve_job_def("daily_refresh")
    keep_history = bool(os.environ.get("DAGSTER_HOME"))
    instance = dg.DagsterInstance.get() if keep_history else dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        instance=instance, raise_on_error=False, run_config=CONSOLE_AT_INFO
    )
    elapsed = time.perf_counter() - started
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                print(f"step {event.step_key} failed: {error.message.strip()}", file=sys.stderr)
        return 1
    warehouse = defs.resources["warehouse"]
    settings = defs.resources["indicator_settings"]
    with warehouse.connect() as con:
        print(latest_day_summary(con, settings.large_benchmark, settings.small_benchmark))
    print(f"  materialized every asset in {elapsed:.1f} s into {warehouse.path}")
    return 0


def main() -> None:
    """Entry point of the `capgap` command."""
    parser = argparse.ArgumentParser(prog="capgap", description=__doc__)
    parser.add_argument(
        "command",
        choices=["run", "dictionary"],
        help="run: materialize everything; dictionary: write docs/data_dictionary.md",
    )
    if parser.parse_args().command == "dictionary":
        from orchestration.dictionary import write_dictionary

        write_dictionary()
        sys.exit(0)
    sys.exit(run())
