"""`capgap run`: materialize every asset through Dagster, then print the latest day.
`capgap members`: write the live lists' point-in-time membership as a members.csv.
`capgap sql <table>`: print a model as one standalone SELECT.
`capgap tape [--date YYYY-MM-DD]`: write today's tape from the warehouse, read-only.

A run that fails ends with one line per failure saying what failed, where and what to do
(the traceback is in the Dagster run log); a warning check that failed is listed under the
summary.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from contextlib import ExitStack

import dagster as dg

# The results of an in-process run and of a run in its own processes share this base.
from dagster._core.execution.execution_result import ExecutionResult

from orchestration.sources.base import printable

CONSOLE_AT_INFO = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
QUALIFIED_CLASS = re.compile(r"^(?:[A-Za-z_][\w]*\.)+[A-Za-z_]\w*: ")
DAGSTER_WRAPPER = "dagster._core.errors."


def _cause(error) -> str:
    """The message of the innermost error that is not one of Dagster's wrappers."""
    while error.cause is not None and (
        error.message.startswith(DAGSTER_WRAPPER) or error.cls_name == "Failure"
    ):
        error = error.cause
    first = error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name
    return QUALIFIED_CLASS.sub("", first)


DISK_FULL = "No space left on device"


def _advice(cause: str) -> str:
    """What to do, for the causes whose message does not say it."""
    if DISK_FULL in cause:
        return (
            "; free space on that disk (or set CAPGAP_WAREHOUSE to a path on another) and run "
            "again: the failed step wrote nothing"
        )
    return ""


def failure_lines(result: ExecutionResult) -> list[str]:
    """One line per failed step with its cause, or the run's own failure when no step ran
    (a resource that could not start: the warehouse locked by another run, say)."""
    steps = [e for e in result.all_events if e.is_step_failure]
    events = steps or [e for e in result.all_events if e.is_run_failure]
    lines = []
    for event in events:
        data = event.event_specific_data
        user = getattr(data, "user_failure_data", None)
        error = getattr(data, "error", None)
        if user is not None and user.description:
            cause = user.description
        elif error is not None:
            cause = _cause(error)
        else:
            continue
        where = event.step_key or "run setup"
        lines.append(f"capgap run failed: {where}: {printable(cause)}{_advice(cause)}")
    return list(dict.fromkeys(lines))


def warning_lines(result: ExecutionResult) -> list[str]:
    """One line per asset check that failed without blocking anything; a check failing the
    same way on several assets (a stale calendar, say) is one line naming them."""
    assets_by_failure: dict[tuple[str, str], list[str]] = {}
    for check in result.get_asset_check_evaluations():
        if not check.passed:
            failure = (check.check_name, printable(check.description or "failed"))
            assets_by_failure.setdefault(failure, []).append(check.asset_key.to_user_string())
    lines = []
    for (name, description), assets in assets_by_failure.items():
        where = assets[0] if len(assets) == 1 else f"{len(assets)} assets ({', '.join(assets)})"
        lines.append(f"  warning: {where} {name}: {description}")
    return lines


def _execute(defs: dg.Definitions, instance: dg.DagsterInstance):
    """Run the daily job: in this process, or with buckets, each step in its own process
    (the job's multiprocess executor), the bucket steps in parallel."""
    if not defs.resources["bucketing"].buckets:
        job = defs.resolve_job_def("daily_refresh")
        return job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=CONSOLE_AT_INFO
        )
    from orchestration.definitions import daily_refresh_job

    return dg.execute_job(
        dg.reconstructable(daily_refresh_job),
        instance=instance,
        raise_on_error=False,
        run_config=CONSOLE_AT_INFO,
    )


def run() -> int:
    """Run the daily_refresh job in process and print the summary of the latest day."""
    from orchestration.defs.settings import SettingsError

    try:
        from orchestration.definitions import defs
    except SettingsError as error:
        print(f"capgap: {error}", file=sys.stderr)
        return 2
    from orchestration.outputs.summary import latest_day_summary

    started = time.perf_counter()
    keep_history = bool(os.environ.get("DAGSTER_HOME"))
    with ExitStack() as stack:
        if keep_history:
            instance = dg.DagsterInstance.get()
        elif defs.resources["bucketing"].buckets:
            instance = stack.enter_context(dg.DagsterInstance.local_temp())
        else:
            instance = dg.DagsterInstance.ephemeral()
        result = _execute(defs, instance)
    elapsed = time.perf_counter() - started
    if not result.success:
        for line in failure_lines(result):
            print(line, file=sys.stderr)
        where = f"run {result.run_id}" + (" in the Dagster UI (make dev)" if keep_history else "")
        print(f"  the traceback is in the run log of {where}", file=sys.stderr)
        return 1
    warehouse = defs.resources["warehouse"]
    settings = defs.resources["indicator_settings"]
    with warehouse.connect() as con:
        print(latest_day_summary(con, settings.large_benchmark, settings.small_benchmark))
    print(f"  materialized every asset in {elapsed:.1f} s into {warehouse.path}")
    for line in warning_lines(result):
        print(line)
    return 0


def members(args: argparse.Namespace) -> int:
    """Write the live source's point-in-time membership as a `files` source members.csv."""
    from datetime import date

    from orchestration.defs.settings import SettingsError, resources_from_env
    from orchestration.sources.base import SourceError
    from orchestration.sources.live.http import FetchError
    from orchestration.sources.live.members_file import MembersFileError, members_command

    try:
        source = resources_from_env()["market_source"]
        lines = members_command(args, source, date.today())
    except (SettingsError, MembersFileError, SourceError, FetchError) as error:
        print(f"capgap members: {printable(error)}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def sql(table: str) -> int:
    """Print a model as one standalone SELECT, settings filled in."""
    from orchestration.defs.settings import SettingsError, resources_from_env
    from orchestration.warehouse.standalone_sql import UnknownTable, standalone_sql

    try:
        settings = resources_from_env()["indicator_settings"].variables()
        print(standalone_sql(table, settings), end="")
    except (SettingsError, UnknownTable) as error:
        print(f"capgap sql: {printable(error)}", file=sys.stderr)
        return 1
    return 0


def main() -> None:
    """Entry point of the `capgap` command."""
    from orchestration.sources.live.members_file import add_arguments

    parser = argparse.ArgumentParser(prog="capgap", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="materialize everything, then print the latest day")
    commands.add_parser("dictionary", help="write docs/data_dictionary.md")
    add_arguments(
        commands.add_parser(
            "members",
            help="write the live lists' point-in-time membership as a files-source members.csv",
        )
    )
    shown = commands.add_parser(
        "sql", help="print a model as one standalone SELECT (e.g. marts.breadth_daily)"
    )
    shown.add_argument("table", help="the table, as layer.name")
    # `capgap tape` parses its own options (tape_command), so its parser takes none.
    commands.add_parser(
        "tape",
        add_help=False,
        help="write today's tape from the warehouse (capgap tape --help for options)",
    )
    args, options = parser.parse_known_args()
    if args.command == "tape":
        from orchestration.outputs.tape.command import tape_command

        sys.exit(tape_command(options))
    if options:
        parser.error(f"unrecognized arguments: {' '.join(options)}")
    if args.command == "dictionary":
        from orchestration.outputs.dictionary import write_dictionary

        write_dictionary()
        sys.exit(0)
    if args.command == "sql":
        sys.exit(sql(args.table))
    if args.command == "members":
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        sys.exit(members(args))
    sys.exit(run())
