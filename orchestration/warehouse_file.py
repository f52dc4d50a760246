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
import struct
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

MAGIC = b"DUCK"
MAGIC_OFFSET = 8
HEADER_BYTES = 4096
DATABASE_HEADERS = (HEADER_BYTES, 2 * HEADER_BYTES)
HEADERS_BYTES = 3 * HEADER_BYTES
NOT_FILES = ("", ":memory:")


class WarehouseFileError(Exception):
    """The warehouse path cannot hold a warehouse, or the file there is damaged."""


def check_path(path: str) -> Path:
    """The warehouse path as a Path, refused when it cannot hold a warehouse file."""
    if path.strip() in NOT_FILES or path.startswith(":memory:"):
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


def _expected_size(header: bytes) -> int | None:
    """The bytes the file's active database header says it has, if the header reads."""
    active = max(
        (struct.unpack_from("<8Q", header, offset) for offset in DATABASE_HEADERS),
        key=lambda fields: fields[1],
    )
    _, _, _, _, block_count, block_size, *_ = active
    if block_size < 4096 or block_size & (block_size - 1):
        return None
    return HEADERS_BYTES + block_count * block_size


def check_file(file: Path) -> None:
    """Refuse an existing file that is not a DuckDB database, or that is cut short.

    A DuckDB file starts with a main header (the magic `DUCK`) and two database headers,
    the newer of which counts the file's blocks: a file shorter than that lost its end
    (a copy cut off, a full disk) and must not be written into.
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
    expected = _expected_size(header) if len(header) == HEADERS_BYTES else None
    if len(header) < HEADERS_BYTES or (expected is not None and size < expected):
        raise WarehouseFileError(
            f"the warehouse {file} is cut short ({size:,} bytes where its header counts "
            f"{expected or HEADERS_BYTES:,}); nothing was written to it. Restore it from a "
            "copy, or move it away and run again to rebuild it from the sources"
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
