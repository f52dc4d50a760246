"""`capgap tape [--date YYYY-MM-DD] [--warehouse PATH] [--out DIR]`: write the tape from the
warehouse, opened read-only (default `$CAPGAP_WAREHOUSE`, else data/capgap.duckdb), into DIR
(default: a `reports` directory beside the warehouse)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

from orchestration.outputs.tape.render import write_tape
from orchestration.outputs.tape.sections import TapeDateError


def tape_command(argv: Sequence[str] | None = None) -> int:
    """Write the tape of a date from the warehouse, read-only; return the exit status."""
    from orchestration.defs.settings import DEFAULT_WAREHOUSE

    parser = argparse.ArgumentParser(
        prog="capgap tape",
        description="Write today's tape (HTML and markdown) from the capgap warehouse.",
    )
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        help="the trading date to report, YYYY-MM-DD (default: the latest in the warehouse)",
    )
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("CAPGAP_WAREHOUSE", DEFAULT_WAREHOUSE),
        help="the DuckDB file (default: $CAPGAP_WAREHOUSE, else %(default)s)",
    )
    parser.add_argument("--out", type=Path, help="where to write (default: reports/ beside it)")
    args = parser.parse_args(argv)
    warehouse = Path(args.warehouse)
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}: build it first (make run)", file=sys.stderr)
        return 1
    out_dir = args.out or warehouse.parent / "reports"
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            report = write_tape(con, out_dir, args.date)
    except TapeDateError as error:
        print(error, file=sys.stderr)
        return 2
    except duckdb.IOException as error:
        print(f"cannot open {warehouse} read-only (is a run writing it?): {error}", file=sys.stderr)
        return 1
    print(f"tape of {report.day}: {report.html_path}\n  markdown: {report.markdown_path}")
    return 0
