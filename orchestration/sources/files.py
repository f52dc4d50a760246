"""The `files` source: a directory a user brings from any vendor (layout in sources.md).

`prices.csv` (or `prices.parquet`), `members.csv` and `rates.csv` are required, `actions.csv`
is optional. A missing file or a wrong header stops the load with a message naming the file
and the columns; a value that does not parse sends its row to quarantine with a reason naming
the file, the line and the column, and the other rows load.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orchestration.sources.base import (
    ACTIONS_SCHEMA,
    MEMBERS_SCHEMA,
    PRICES_SCHEMA,
    RATES_SCHEMA,
    REJECTS_SCHEMA,
    FetchRequest,
    RawBatch,
    SourceError,
    empty_frame,
    rejects_frame,
)


@dataclass(frozen=True)
class FileSpec:
    """One file of the layout: its raw table, columns and which of them must have a value."""

    table: str
    schema: dict[str, pl.DataType]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


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
    ),
    "rates": FileSpec("rates", RATES_SCHEMA, ("date", "series", "value")),
    "actions": FileSpec("actions", ACTIONS_SCHEMA, ("date", "ticker", "kind", "value")),
}
OPTIONAL_FILES = ("actions",)
LINE_COLUMN = "_line"


def _parse(column: str, dtype: pl.DataType) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    if dtype == pl.Date():
        return text.str.to_date("%Y-%m-%d", strict=False)
    if dtype == pl.Int64():
        number = text.cast(pl.Float64, strict=False)
        return pl.when(number == number.round()).then(number).cast(pl.Int64, strict=False)
    if dtype == pl.Float64():
        return text.cast(pl.Float64, strict=False)
    return text


def _kind(dtype: pl.DataType) -> str:
    if dtype == pl.Date():
        return "a date (YYYY-MM-DD)"
    if dtype == pl.Int64():
        return "a whole number"
    if dtype == pl.Float64():
        return "a number"
    return "text"


UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
UTF8_MARK = b"\xef\xbb\xbf"


def _check_csv_bytes(path: Path) -> None:
    """Fail clearly on a file that is not UTF-8 CSV text at all."""
    raw = path.read_bytes()
    if not raw.strip():
        raise SourceError(f"files source: {path} is empty ({len(raw)} bytes)")
    if raw.startswith(UTF16_MARKS):
        raise SourceError(f"files source: {path} is UTF-16 text; save it as UTF-8 CSV")
    if raw.removeprefix(UTF8_MARK).lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise SourceError(
            f"files source: {path} is an HTML page, not CSV (a download that returned an "
            "error page?)"
        )
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SourceError(
            f"files source: {path} is not UTF-8: line {line} has the byte "
            f"0x{raw[error.start]:02x}; save the file as UTF-8"
        ) from error


def _fields_vary(path: Path) -> bool:
    """Whether some line has another number of commas than the header (a short or long line).

    Quoted commas only add to a line's count, so a line that looks long may be fine; such a
    file is then read line by line, which parses quotes.
    """
    lines = pl.read_csv(
        path,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        infer_schema=False,
        new_columns=["line"],
    ).get_column("line")
    commas = lines.str.count_matches(",", literal=True)
    return bool((commas != commas[0]).any())


def _read_ragged_csv(path: Path, table: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read a CSV whose rows do not all have the header's number of fields, line by line.

    Rows with the header's field count are kept (with their line number); the others are
    rejected with a reason naming the line.
    """
    try:
        with path.open(newline="", encoding="utf8") as handle:
            header, *rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error, ValueError) as error:
        raise SourceError(f"files source: {path} could not be read: {error}") from error
    header = [c.strip() for c in header]
    kept, lines, records, reasons = [], [], [], []
    for line, row in enumerate(rows, start=2):
        if len(row) == len(header):
            kept.append(row)
            lines.append(line)
        else:
            records.append({"line": line, "fields": row})
            reasons.append(
                f"{path.name} line {line}: {len(row)} fields where the header has {len(header)}"
            )
    frame = (
        pl.DataFrame(kept, schema=header, orient="row")
        if kept
        else pl.DataFrame(schema=dict.fromkeys(header, pl.String))
    )
    frame = frame.with_columns(pl.Series(LINE_COLUMN, lines, dtype=pl.UInt32))
    return frame, rejects_frame(table, records, "ragged_line", reasons)


class FilesSource:
    """Reads the `files` layout from a directory."""

    name = "files"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def fetch(self, request: FetchRequest) -> RawBatch:
        """Read every file of the layout; unparseable rows become rejects."""
        if not self.directory.is_dir():
            raise SourceError(
                f"files source: {self.directory} is not a directory; set CAPGAP_FILES_DIR to "
                "the folder holding prices.csv, members.csv and rates.csv"
            )
        frames: dict[str, pl.DataFrame] = {}
        rejects = [empty_frame(REJECTS_SCHEMA)]
        for table, spec in FILE_SPECS.items():
            path = self._locate(table)
            if path is None:
                frames[table] = empty_frame(spec.schema)
                continue
            request.log.info(f"files source: reading {path}")
            raw_text, ragged = self._read(path, spec)
            frames[table], bad = self._typed(path, raw_text, spec)
            rejects += [ragged, bad]
        return RawBatch(
            prices=frames["prices"],
            members=frames["members"],
            rates=frames["rates"],
            actions=frames["actions"],
            rejects=pl.concat(rejects),
            requested={"directory": str(self.directory)},
        )

    def _locate(self, table: str) -> Path | None:
        candidates = [self.directory / f"{table}.csv"]
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

    def _read(self, path: Path, spec: FileSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
        ragged = empty_frame(REJECTS_SCHEMA)
        if path.suffix == ".parquet":
            try:
                frame = pl.read_parquet(path).with_columns(pl.all().cast(pl.String))
            except Exception as error:
                raise SourceError(
                    f"files source: {path} is not a readable Parquet file: {error}"
                ) from error
        else:
            _check_csv_bytes(path)
            if _fields_vary(path):
                frame, ragged = _read_ragged_csv(path, spec.table)
            else:
                frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
        frame = frame.rename({c: c.strip().lower() for c in frame.columns})
        expected = [*spec.required, *spec.optional]
        absent = [c for c in spec.required if c not in frame.columns]
        if absent:
            raise SourceError(
                f"files source: {path} lacks the column(s) {', '.join(absent)}; its header is "
                f"{', '.join(frame.columns) or '(empty)'}; expected {', '.join(expected)}"
            )
        for column in spec.optional:
            if column not in frame.columns:
                frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
        if LINE_COLUMN not in frame.columns:
            first_line = 2 if path.suffix == ".csv" else 1
            frame = frame.with_row_index(LINE_COLUMN, offset=first_line)
        return frame.select(LINE_COLUMN, *expected), ragged

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
            problems.append(
                pl.when(given & failed).then(
                    pl.format(f"column {column}: '{{}}' is not {_kind(dtype)}", pl.col(column))
                )
            )
        checked = parsed.with_columns(
            pl.concat_list(problems).list.drop_nulls().list.join("; ").alias("_problem")
        )
        bad = checked.filter(pl.col("_problem") != "")
        reasons = [
            f"{path.name} {where} {line}: {problem}"
            for line, problem in bad.select(LINE_COLUMN, "_problem").iter_rows()
        ]
        records = bad.select(list(spec.schema)).to_dicts()
        good = checked.filter(pl.col("_problem") == "").select(
            [pl.col(f"_parsed_{c}").alias(c).cast(dtype) for c, dtype in spec.schema.items()]
        )
        return good, rejects_frame(spec.table, records, "unparseable_value", reasons)
