"""The warehouse file on disk: which paths can hold one, whether a file is whole, and the
lock that lets one run at a time write it.

DuckDB's own lock covers one connection; a run opens one per asset, so between two assets
another run could slip in. The run lock is an exclusive `flock` on `<warehouse>.lock`,
taken when a run starts and released when it ends (or when its process dies: a killed run
never leaves it held). The holder writes its process id, run id and start time into it,
so the run that waits can say who holds the warehouse.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import duckdb

MAGIC = b"DUCK"
MAGIC_OFFSET = 8
HEADER_BYTES = 4096
HEADERS_BYTES = 3 * HEADER_BYTES


class WarehouseFileError(Exception):
    """The warehouse path cannot hold a warehouse, or the file there is damaged."""


def check_path(path: str) -> Path:
    """The warehouse path as a Path, refused when it cannot hold a warehouse file."""
    if not path.strip() or path.startswith(":memory:"):
        raise WarehouseFileError(
            f"CAPGAP_WAREHOUSE is {path!r}: the warehouse must be a file, so each asset of a "
            "run reads what the one before wrote; set it to a path like data/capgap.duckdb"
        )
    file = Path(path)
    if file.is_dir() or path.endswith(os.sep):
        raise WarehouseFileError(
            f"CAPGAP_WAREHOUSE {path} is a directory; name a file in it, like "
            f"{file / 'capgap.duckdb'}"
        )
    return file


HIGHEST_BLOCK = """
SELECT max(greatest(block_id, coalesce(list_max(additional_block_ids), -1)))
FROM pragma_storage_info(?)
"""


def _highest_block(con: duckdb.DuckDBPyConnection) -> int:
    """The highest block id any stored table's data lives in (-1 when none)."""
    tables = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE NOT temporary"
    ).fetchall()
    blocks = [con.execute(HIGHEST_BLOCK, [table]).fetchall()[0][0] for (table,) in tables]
    return max((b for b in blocks if b is not None), default=-1)


def _cut_short(file: Path, detail: str) -> WarehouseFileError:
    return WarehouseFileError(
        f"the warehouse {file} is cut short ({detail}); nothing was written to it. Restore it "
        "from a copy, or move it away and run again to rebuild it from the sources"
    )


def check_file(file: Path) -> None:
    """Refuse an existing file that is not a DuckDB database, or that lost its end.

    A DuckDB file starts with a main header (the magic `DUCK`) and two database headers,
    then fixed-size blocks. The file is opened read-only and every stored table's blocks
    must lie within it: a file cut short (a copy cut off, a full disk) would otherwise be
    opened, written into, and fail later on a block that is not there.
    """
    if not file.exists() or file.stat().st_size == 0:
        return
    with file.open("rb") as handle:
        header = handle.read(HEADERS_BYTES)
    if header[MAGIC_OFFSET : MAGIC_OFFSET + len(MAGIC)] != MAGIC:
        raise WarehouseFileError(
            f"the warehouse {file} is not a DuckDB database file; point CAPGAP_WAREHOUSE at "
            "another path, or move this file away"
        )
    size = file.stat().st_size
    if size < HEADERS_BYTES:
        raise _cut_short(file, f"{size:,} bytes, shorter than its headers")
    try:
        con = duckdb.connect(str(file), read_only=True)
    except duckdb.Error as error:
        if "lock" in str(error).lower():
            return
        raise _cut_short(file, f"DuckDB cannot open it: {error}") from error
    try:
        ((block_size,),) = con.execute("SELECT block_size FROM pragma_database_size()").fetchall()
        highest = _highest_block(con)
    except duckdb.Error as error:
        raise _cut_short(file, f"DuckDB cannot read it: {error}") from error
    finally:
        con.close()
    blocks = (size - HEADERS_BYTES) // block_size
    if highest >= blocks:
        raise _cut_short(
            file, f"{size:,} bytes hold {blocks} blocks; its tables use block {highest}"
        )


def lock_path(file: Path) -> Path:
    """The run lock's file, beside the warehouse."""
    return file.with_name(file.name + ".lock")


def _holder(lock: Path) -> str:
    try:
        text = lock.read_text().strip()
    except OSError:
        text = ""
    return text or "another process"


def hold_run_lock(
    file: Path, run_id: str, wait_seconds: float, log: Callable[[str], None]
) -> IO[str]:
    """Take the run lock of the warehouse, waiting up to `wait_seconds` for another run to
    end; the returned handle holds it until closed."""
    lock = lock_path(file)
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = lock.open("a+")
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _holder(lock)
                handle.close()
                raise WarehouseFileError(
                    f"the warehouse {file} is being written by another run ({holder}) and "
                    f"stayed so for {wait_seconds:g} s; wait for that run to end, then run "
                    "again"
                ) from None
            if not announced:
                log(f"waiting up to {wait_seconds:g} s for another run ({_holder(lock)})")
                announced = True
            time.sleep(min(0.5, wait_seconds))
    handle.seek(0)
    handle.truncate()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    handle.write(f"run {run_id}, process {os.getpid()}, started {started}")
    handle.flush()
    return handle
