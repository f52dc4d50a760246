"""The `files` source: a directory a user brings from any vendor (layout in the README).

`prices.csv` (or `prices.parquet`), `members.csv` and `rates.csv` are required, `actions.csv`,
`weights.csv` (index weights) and `fundamentals.csv` (quarterly figures) are optional. The
rule: accept what is unambiguous, refuse the rest by file, line and column.

Accepted: UTF-8 with or without a BOM, LF or CRLF line ends, quoted fields (commas, quotes
and line breaks inside), a file gzip-compressed under its plain name, header names in any
case with spaces around them, a Parquet date column of dates or of timestamps at midnight
(in any time zone), tickers in any case (upper-cased, as Yahoo writes them) and universes,
action kinds and rate series in any case (lower-cased). An empty text value is null,
quoted (`""`) or not. An optional column a file lacks is not given: it is null in the batch
and named in the batch's `absent`, except a members.csv without `valid_to`, which says that
no member has left.

Refused, stopping the load with one line naming the file: a missing, empty or unreadable
file, UTF-16 or other non-UTF-8 text, an HTML page, a header that lacks a required column or
names a column twice, and a required file with a header and no rows.

Quarantined with a reason naming the file, the line (the row of a Parquet file) and the
column, while the other rows load: a line with another number of fields than the header, an
empty required value, and a value that does not parse (a date with a time of day included).
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import zlib
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import polars as pl

from orchestration.sources.base import (
    ACTIONS_SCHEMA,
    FUNDAMENTALS_SCHEMA,
    INDEX_WEIGHTS_SCHEMA,
    MEMBERS_SCHEMA,
    PRICES_SCHEMA,
    RATES_SCHEMA,
    REJECTS_SCHEMA,
    FetchRequest,
    RawBatch,
    SourceError,
    empty_frame,
    printable,
    rejects_frame,
)


@dataclass(frozen=True)
class FileSpec:
    """One file of the layout: its raw table, columns and which of them must have a value.

    `null_if_absent` names the optional columns whose absence from a file is itself a value
    (null for every row) rather than "not given"."""

    table: str
    schema: dict[str, pl.DataType]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    null_if_absent: tuple[str, ...] = ()


FILE_SPECS = {
    "prices": FileSpec(
        "prices",
        PRICES_SCHEMA,
        ("date", "ticker", "close"),
        ("open", "high", "low", "volume", "unadjusted_close"),
    ),
    "members": FileSpec(
        "members",
        MEMBERS_SCHEMA,
        ("universe", "ticker", "valid_from"),
        ("name", "sector", "valid_to"),
        ("valid_to",),
    ),
    "rates": FileSpec("rates", RATES_SCHEMA, ("date", "series", "value")),
    "actions": FileSpec("actions", ACTIONS_SCHEMA, ("date", "ticker", "kind", "value")),
    "index_weights": FileSpec(
        "index_weights", INDEX_WEIGHTS_SCHEMA, ("universe", "ticker", "as_of", "weight")
    ),
    "fundamentals": FileSpec(
        "fundamentals",
        FUNDAMENTALS_SCHEMA,
        ("ticker", "period_end", "fiscal_period", "available_on", "net_income"),
        ("revenue", "diluted_eps", "shares_outstanding"),
    ),
}
OPTIONAL_FILES = ("actions", "index_weights", "fundamentals")
# The file each table is read from, where its name is not the table's.
FILE_STEMS = {"index_weights": "weights"}
LINE_COLUMN = "_line"
# Yahoo symbols and fiscal quarters are upper case (BRK-B, ^GSPC, 2024Q3); universes,
# kinds and series are matched in lower case.
UPPER_CASED = ("ticker", "fiscal_period")
LOWER_CASED = ("universe", "kind", "series")
DATE_WITH_TIME = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"


def _parse(column: str, dtype: pl.DataType) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    if dtype == pl.Date():
        return text.str.to_date("%Y-%m-%d", strict=False)
    if dtype == pl.Int64():
        number = text.cast(pl.Float64, strict=False)
        whole = pl.when(number == number.round()).then(number).cast(pl.Int64, strict=False)
        return pl.coalesce(text.cast(pl.Int64, strict=False), whole)
    if dtype == pl.Float64():
        return text.cast(pl.Float64, strict=False)
    given = pl.when(text != "").then(text)
    if column in UPPER_CASED:
        return given.str.to_uppercase()
    if column in LOWER_CASED:
        return given.str.to_lowercase()
    return given


def _complaint(column: str, dtype: pl.DataType) -> pl.Expr:
    """Why a given value of `column` did not parse as `dtype`, quoting it."""
    quoted = pl.format(f"column {column}: '{{}}' ", pl.col(column))
    if dtype == pl.Date():
        timed = pl.col(column).str.strip_chars().str.contains(DATE_WITH_TIME)
        why = (
            pl.when(timed)
            .then(pl.lit("has a time of day; write dates as YYYY-MM-DD"))
            .otherwise(pl.lit("is not a date (YYYY-MM-DD)"))
        )
    elif dtype == pl.Int64():
        why = pl.lit("is not a whole number")
    elif dtype == pl.Float64():
        why = pl.lit("is not a number")
    else:
        why = pl.lit("is not text")
    return pl.concat_str(quoted, why)


UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
UTF8_MARK = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"


def _csv_bytes(path: Path, log: logging.Logger) -> bytes:
    """The bytes of a CSV file, read once: decompressed if gzip-compressed, checked to be
    UTF-8 text, without a BOM."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"files source: {path} could not be read: {error.strerror}") from error
    if data.startswith(GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise SourceError(
                f"files source: {path} is gzip-compressed and could not be decompressed "
                f"({printable(error)}); compress it again, or save it uncompressed"
            ) from error
        log.info(f"files source: {path.name} is gzip-compressed; reading it decompressed")
    data = data.removeprefix(UTF8_MARK)
    _check_csv_bytes(path, data)
    return data


def _check_csv_bytes(path: Path, data: bytes) -> None:
    """Fail clearly on a file that is not UTF-8 CSV text at all."""
    if not data.strip():
        raise SourceError(f"files source: {path} is empty ({len(data)} bytes)")
    if data.startswith(UTF16_MARKS):
        raise SourceError(f"files source: {path} is UTF-16 text; save it as UTF-8 CSV")
    if data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise SourceError(
            f"files source: {path} is an HTML page, not CSV (a download that returned an "
            "error page?)"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(
            f"files source: {path} is not UTF-8: line {line} has the byte "
            f"0x{data[error.start]:02x}; save the file as UTF-8"
        ) from error


def _csv_header(data: bytes) -> list[str]:
    """The names of a CSV's first line, as the csv module parses them."""
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8")
    return next(csv.reader([first]), [])


def _fields_vary(data: bytes) -> bool:
    """Whether some line has another number of commas than the header (a short or long line).

    Quoted commas only add to a line's count, so a line that looks long may be fine; such a
    file is then read line by line, which parses quotes. Empty lines are not counted.
    """
    return len({line.count(b",") for line in data.splitlines() if line}) > 1


def _columns(path: Path, header: list[str], spec: FileSpec) -> dict[str, int]:
    """Where each of the spec's columns is in `header`, by name stripped and lower-cased.

    A header that names a column twice, or lacks a required one, is refused.
    """
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(header):
        if name.strip():
            positions.setdefault(name.strip().lower(), []).append(position)
    for name, found in positions.items():
        if len(found) > 1:
            numbers = [str(p + 1) for p in found]
            times = "twice" if len(found) == 2 else f"{len(found)} times"
            raise SourceError(
                f"files source: {path}: the header names {printable(name)} {times} (columns "
                f"{', '.join(numbers[:-1])} and {numbers[-1]}); keep one"
            )
    expected = [*spec.required, *spec.optional]
    lacking = [c for c in spec.required if c not in positions]
    if lacking:
        shown = ", ".join(printable(c.strip()) for c in header) or "(empty)"
        raise SourceError(
            f"files source: {path} lacks the column(s) {', '.join(lacking)}; its header is "
            f"{shown}; expected {', '.join(expected)}"
        )
    return {c: positions[c][0] for c in expected if c in positions}


def _read_csv(
    path: Path, data: bytes, table: str, columns: dict[str, int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The CSV's `columns` as text with their line numbers, and its ragged lines as rejects.

    Polars reads a file whose lines all have the header's number of commas; a file with
    other lines, or one polars refuses (a lone quote inside a field), is read line by line.
    """
    if not _fields_vary(data):
        try:
            frame = pl.read_csv(data, infer_schema=False)
        except pl.exceptions.PolarsError:
            pass
        else:
            picked = frame.select(pl.nth(i).alias(c) for c, i in columns.items())
            return picked.with_row_index(LINE_COLUMN, offset=2), empty_frame(REJECTS_SCHEMA)
    return _read_ragged_csv(path, data, table, columns)


def _read_ragged_csv(
    path: Path, data: bytes, table: str, columns: dict[str, int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read a CSV whose rows do not all have the header's number of fields, line by line.

    Rows with the header's field count are kept (their `columns`, with the line they start
    on); the others are rejected with a reason naming the line.
    """
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    kept: dict[str, list[str]] = {c: [] for c in columns}
    lines, records, reasons = [], [], []
    start = 1
    try:
        width = len(next(reader))
        start = reader.line_num + 1
        for row in reader:
            if len(row) == width:
                for column, position in columns.items():
                    kept[column].append(row[position])
                lines.append(start)
            else:
                records.append({"line": start, "fields": row})
                reasons.append(
                    f"{path.name} line {start}: {len(row)} fields where the header has {width}"
                )
            start = reader.line_num + 1
    except csv.Error as error:
        raise SourceError(
            f"files source: {path} line {start} could not be read: {printable(error)}"
        ) from error
    frame = pl.DataFrame(kept, schema=dict.fromkeys(columns, pl.String))
    frame = frame.with_columns(pl.Series(LINE_COLUMN, lines, dtype=pl.UInt32))
    return frame, rejects_frame(table, records, "ragged_line", reasons)


def _read_parquet(path: Path, spec: FileSpec) -> pl.DataFrame:
    """The Parquet file's columns of `spec` as text with their row numbers.

    A date written as a timestamp at midnight is that date; a timestamp with another time
    of day keeps it (and its row is rejected). Numbers keep their full precision.
    """
    try:
        table = pl.read_parquet(path)
    except Exception as error:
        said = str(error).strip().splitlines() or [type(error).__name__]
        raise SourceError(
            f"files source: {path} is not a readable Parquet file: {printable(said[0])}"
        ) from error
    columns = _columns(path, table.columns, spec)
    picked = table.select(pl.nth(i).alias(c) for c, i in columns.items())
    nested = [c for c, dtype in picked.schema.items() if dtype.is_nested()]
    if nested:
        raise SourceError(
            f"files source: {path}: column {nested[0]} holds {picked.schema[nested[0]]} "
            "values; write one value per cell"
        )
    return picked.select(_as_text(c, dtype) for c, dtype in picked.schema.items()).with_row_index(
        LINE_COLUMN, offset=1
    )


def _as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    value = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        return (
            pl.when(value.dt.time() == time(0))
            .then(value.dt.date().cast(pl.String))
            .otherwise(value.dt.strftime("%Y-%m-%d %H:%M:%S%.f"))
        )
    return value.cast(pl.String)


class FilesSource:
    """Reads the `files` layout from a directory."""

    name = "files"
    resumes = False

    def __init__(self, directory: Path, reload: bool = False) -> None:
        self.directory = Path(directory)
        self.reload = reload

    def fetch(self, request: FetchRequest) -> RawBatch:
        """Read every file of the layout; unparseable rows become rejects. With `reload`,
        the batch is complete: the rows the directory no longer has are removed."""
        if not self.directory.is_dir():
            raise SourceError(
                f"files source: {self.directory} is not a directory; set CAPGAP_FILES_DIR to "
                "the folder holding prices.csv, members.csv and rates.csv"
            )
        frames: dict[str, pl.DataFrame] = {}
        rejects = [empty_frame(REJECTS_SCHEMA)]
        absent: dict[str, tuple[str, ...]] = {}
        for table, spec in FILE_SPECS.items():
            path = self._locate(table)
            if path is None:
                frames[table] = empty_frame(spec.schema)
                continue
            request.log.info(f"files source: reading {path}")
            raw_text, ragged, not_given = self._read(path, spec, request.log)
            frames[table], bad = self._typed(path, raw_text, spec)
            rejects += [ragged, bad]
            if not_given:
                absent[table] = not_given
        return RawBatch(
            prices=frames["prices"],
            members=frames["members"],
            rates=frames["rates"],
            actions=frames["actions"],
            index_weights=frames["index_weights"],
            fundamentals=frames["fundamentals"],
            rejects=pl.concat(rejects),
            requested={"directory": str(self.directory), "reload": self.reload},
            absent=absent,
            complete=tuple(FILE_SPECS) if self.reload else (),
        )

    def _locate(self, table: str) -> Path | None:
        candidates = [self.directory / f"{FILE_STEMS.get(table, table)}.csv"]
        if table == "prices":
            candidates.append(self.directory / "prices.parquet")
        found = [p for p in candidates if p.is_file()]
        if len(found) > 1:
            raise SourceError(
                f"files source: both {found[0].name} and {found[1].name} are in {self.directory}; "
                "keep one"
            )
        if found:
            return found[0]
        if table in OPTIONAL_FILES:
            return None
        names = " or ".join(p.name for p in candidates)
        raise SourceError(f"files source: {names} is missing from {self.directory}")

    def _read(
        self, path: Path, spec: FileSpec, log: logging.Logger
    ) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...]]:
        """The file as text (its line numbers, then the spec's columns), its ragged lines as
        rejects, and the optional columns it does not give."""
        ragged = empty_frame(REJECTS_SCHEMA)
        if path.suffix == ".parquet":
            frame = _read_parquet(path, spec)
        else:
            data = _csv_bytes(path, log)
            columns = _columns(path, _csv_header(data), spec)
            frame, ragged = _read_csv(path, data, spec.table, columns)
        if frame.height == 0 and ragged.height == 0 and spec.table not in OPTIONAL_FILES:
            has = "a header" if path.suffix == ".csv" else "columns"
            raise SourceError(
                f"files source: {path} has {has} and no rows; nothing to load from it"
            )
        lacking = [c for c in spec.optional if c not in frame.columns]
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in lacking)
        not_given = tuple(c for c in lacking if c not in spec.null_if_absent)
        if not_given:
            names = ", ".join(not_given)
            which = (
                f"{names} column; {names} is"
                if len(not_given) == 1
                else f"{names} columns; they are"
            )
            log.warning(
                f"files source: {path.name} has no {which} not given: stored values are kept, "
                "new rows have none"
            )
        return frame.select(LINE_COLUMN, *spec.required, *spec.optional), ragged, not_given

    def _typed(
        self, path: Path, text: pl.DataFrame, spec: FileSpec
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        where = "line" if path.suffix == ".csv" else "row"
        parsed = text.with_columns(
            [_parse(c, dtype).alias(f"_parsed_{c}") for c, dtype in spec.schema.items()]
        )
        problems = []
        for column, dtype in spec.schema.items():
            given = pl.col(column).str.strip_chars().fill_null("") != ""
            failed = pl.col(f"_parsed_{column}").is_null()
            if column in spec.required:
                problems.append(pl.when(~given).then(pl.format(f"column {column} is empty")))
            problems.append(pl.when(given & failed).then(_complaint(column, dtype)))
        checked = parsed.with_columns(
            pl.concat_list(problems).list.drop_nulls().list.join("; ").alias("_problem")
        )
        bad = checked.filter(pl.col("_problem") != "")
        reasons = [
            f"{path.name} {where} {line}: {printable(problem)}"
            for line, problem in bad.select(LINE_COLUMN, "_problem").iter_rows()
        ]
        records = bad.select(list(spec.schema)).to_dicts()
        good = checked.filter(pl.col("_problem") == "").select(
            [pl.col(f"_parsed_{c}").alias(c).cast(dtype) for c, dtype in spec.schema.items()]
        )
        return good, rejects_frame(spec.table, records, "unparseable_value", reasons)
