"""Reading an uploaded CSV or Parquet file into a table, within limits on its decoded
rows, columns and bytes that are checked before the decoding they bound.

- Parquet: the footer states rows, columns and each column's physical width, so a file
  that would decode past a limit is refused before one value is decoded; text columns,
  whose decoded size the footer does not state, are counted batch by batch as they
  decode, stopping at the limit.
- CSV: the header row is counted with the csv module before pyarrow sees the file (a
  table of 100,000 columns is refused from its first line); rows are then counted in a
  streaming pass that holds one block of one column at a time, stopping at the limit;
  only then is the whole table parsed, so its types are inferred from every row.

pyarrow only: no pandas, scikit-learn or torch in the API process.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

PARQUET_MAGIC = b"PAR1"
#: Bytes of a CSV's first line read to count its columns; a longer header is counted on
#: this much (enough to refuse it when that part alone is over the limit).
HEADER_BYTES = 8 << 20
#: Rows per decoded Parquet batch: the streaming step of the decoded-bytes count.
PARQUET_BATCH_ROWS = 65_536
#: Decoded bytes of one value of each fixed-width Parquet physical type.
FIXED_WIDTHS = {"BOOLEAN": 1, "INT32": 4, "FLOAT": 4, "INT64": 8, "DOUBLE": 8, "INT96": 8}
#: What a CSV cell is counted as before it is parsed: one number.
CSV_CELL_BYTES = 8


class UploadError(ValueError):
    """A refused upload (422); ``field`` is the form field or column it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


class UploadTooLargeError(UploadError):
    """An upload that would decode past one of the limits (413, like a body past
    REGULAB_MAX_UPLOAD_BYTES); the message names the limit's setting."""


@dataclass(frozen=True)
class UploadLimits:
    """How large an upload may decode (``REGULAB_MAX_UPLOAD_*``)."""

    rows: int
    columns: int
    decoded_bytes: int

    def check_columns(self, filename: str, columns: int, at_least: bool = False) -> None:
        if columns > self.columns:
            count = f"at least {columns}" if at_least else str(columns)
            raise _too_large(filename, f"has {count} columns", self.columns, "COLUMNS")

    def check_rows(self, filename: str, rows: int, at_least: bool = False) -> None:
        if rows > self.rows:
            count = f"more than {self.rows}" if at_least else str(rows)
            raise _too_large(filename, f"has {count} data rows", self.rows, "ROWS")

    def check_decoded_bytes(self, filename: str, size: int, how: str = "") -> None:
        """``how`` qualifies ``size``: " or more" for a floor, " at 8 a cell" for an
        estimate."""
        if size > self.decoded_bytes:
            what = f"decodes to {size} bytes{how}"
            raise _too_large(filename, what, self.decoded_bytes, "DECODED_BYTES")


def _too_large(filename: str, what: str, limit: int, setting: str) -> UploadTooLargeError:
    return UploadTooLargeError(
        "file", f"{filename} {what}; the limit is {limit} (REGULAB_MAX_UPLOAD_{setting})"
    )


def detect_format(path: Path, filename: str) -> Literal["csv", "parquet"]:
    """By extension, checked against the content: a .csv that is Parquet is refused."""
    suffix = Path(filename).suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(4)
    is_parquet = head == PARQUET_MAGIC
    if suffix == ".parquet":
        if not is_parquet:
            raise UploadError("file", f"{filename} is named .parquet but is not a Parquet file")
        return "parquet"
    if suffix in {".csv", ".txt"}:
        if is_parquet:
            raise UploadError("file", f"{filename} is named {suffix} but holds Parquet")
        return "csv"
    raise UploadError("file", f"{filename}: upload a .csv or a .parquet file")


def read_table(
    path: Path, fmt: Literal["csv", "parquet"], filename: str, limits: UploadLimits
) -> pa.Table:
    if path.stat().st_size == 0:
        raise UploadError("file", f"{filename} is empty")
    try:
        if fmt == "parquet":
            return _read_parquet(path, filename, limits)
        return _read_csv(path, filename, limits)
    except UploadError:
        raise
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        raise UploadError("file", f"{filename} could not be parsed: {exc}") from exc


def _read_parquet(path: Path, filename: str, limits: UploadLimits) -> pa.Table:
    with pq.ParquetFile(path) as parquet:
        meta = parquet.metadata
        limits.check_columns(filename, meta.num_columns)
        limits.check_rows(filename, meta.num_rows)
        limits.check_decoded_bytes(filename, _parquet_decoded_floor(meta), " or more")
        for field in parquet.schema_arrow:
            if pa.types.is_nested(field.type):
                raise UploadError(
                    field.name,
                    f"column {field.name!r} holds {field.type} values: upload flat columns "
                    "(numbers, text, booleans, dates)",
                )
        batches, decoded = [], 0
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            decoded += batch.nbytes
            limits.check_decoded_bytes(filename, decoded, " or more")
            batches.append(batch)
        return pa.Table.from_batches(batches, parquet.schema_arrow)


def _parquet_decoded_floor(meta: pq.FileMetaData) -> int:
    """The decoded size the footer vouches for, whatever the encoding: rows x the width
    of each fixed-width column, and 4 bytes of offset a row for each text column (whose
    characters the streaming count sees)."""
    width = 0
    for index in range(meta.num_columns):
        column = meta.schema.column(index)
        if column.physical_type == "FIXED_LEN_BYTE_ARRAY":
            width += int(column.length)
        else:  # BYTE_ARRAY (text, binary): its offsets
            width += FIXED_WIDTHS.get(column.physical_type, 4)
    return int(meta.num_rows) * width


def _read_csv(path: Path, filename: str, limits: UploadLimits) -> pa.Table:
    header = _csv_header(path, filename, limits)
    rows = _count_csv_rows(path, filename, header[0], limits)
    estimate = rows * len(header) * CSV_CELL_BYTES
    limits.check_decoded_bytes(filename, estimate, f" at {CSV_CELL_BYTES} a cell")
    table = pa_csv.read_csv(path)
    limits.check_columns(filename, table.num_columns)
    limits.check_decoded_bytes(filename, table.nbytes)
    return table


def _csv_header(path: Path, filename: str, limits: UploadLimits) -> list[str]:
    """The header's names, counted before pyarrow parses anything (time linear in the
    header's length); a header cut at HEADER_BYTES is counted as far as it goes."""
    with path.open("rb") as handle:
        first = handle.readline(HEADER_BYTES)
        while first.count(b'"') % 2 and len(first) < HEADER_BYTES:  # a quoted line break
            more = handle.readline(HEADER_BYTES - len(first))
            if not more:
                break
            first += more
        cut = not first.endswith(b"\n") and handle.read(1) != b""
    try:
        text = first.decode("utf-8-sig", errors="replace" if cut else "strict")
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise UploadError("file", f"{filename}: its header row could not be read: {exc}") from exc
    limits.check_columns(filename, len(header), at_least=cut)
    if not any(name.strip() for name in header):
        raise UploadError("file", f"{filename} has no header row")
    return header


def _count_csv_rows(path: Path, filename: str, first: str, limits: UploadLimits) -> int:
    """Data rows, counted on one column read as text, one block at a time; stops past the
    limit. (A name pyarrow reads differently comes back as nulls: rows still count.)"""
    convert = pa_csv.ConvertOptions(
        include_columns=[first], include_missing_columns=True, column_types={first: pa.string()}
    )
    rows = 0
    with pa_csv.open_csv(path, convert_options=convert) as reader:
        for batch in reader:
            rows += batch.num_rows
            limits.check_rows(filename, rows, at_least=True)
    return rows
