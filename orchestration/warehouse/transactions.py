"""One way to write several statements to the warehouse as a whole."""

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN, then COMMIT when the block ends; on an error, ROLLBACK and raise that error.

    A ROLLBACK that fails too (as on a full disk) is ignored, so it never masks the error
    that caused it ("No space left on device" rather than "cannot rollback").
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
