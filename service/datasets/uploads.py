"""Checking and summarizing an uploaded table (CSV or Parquet) in the API process.

pyarrow only: no pandas, scikit-learn or torch. Every refusal names the column (and
rows where there are any), and happens before anything is stored. Each step is linear in
the table's size (reading it, within limits, is table_reader's).
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from api_schemas import ColumnSummary, TaskType
from service.datasets.table_reader import UploadError, UploadLimits, detect_format, read_table

#: A numeric target with at most this many distinct whole values (each seen twice on
#: average) is taken as classes when the upload does not say.
MAX_INFERRED_CLASSES = 20


@dataclass(frozen=True)
class ParsedUpload:
    table: pa.Table
    format: Literal["csv", "parquet"]
    task: TaskType | None  # None: no target, a table to score only
    classes: list[str] | None
    content_hash: str
    size: int
    columns: list[ColumnSummary]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def summarize(table: pa.Table) -> list[ColumnSummary]:
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        missing = column.null_count
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            values = column.cast(pa.float64())
            present = len(column) - missing
            columns.append(
                ColumnSummary(
                    name=name,
                    type="number",
                    missing=missing,
                    mean=pc.mean(values).as_py() if present else None,
                    std=pc.stddev(values).as_py() if present > 1 else None,
                    min=pc.min(values).as_py() if present else None,
                    max=pc.max(values).as_py() if present else None,
                )
            )
        else:
            counts = pc.value_counts(column.cast(pa.string())).to_pylist()
            top = sorted(
                (c for c in counts if c["values"] is not None), key=lambda c: -c["counts"]
            )[:20]
            columns.append(
                ColumnSummary(
                    name=name,
                    type="category",
                    missing=missing,
                    categories={str(c["values"]): int(c["counts"]) for c in top},
                )
            )
    return columns


def infer_task(column: pa.ChunkedArray, requested: TaskType | None, target: str) -> TaskType:
    numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    if requested == "regression" and not numeric:
        raise UploadError(target, f"target column {target!r} is not numeric: cannot regress on it")
    if requested is not None:
        return requested
    if not numeric:
        return "classification"
    distinct = pc.unique(column.drop_null())
    whole = pa.types.is_integer(column.type) or bool(
        pc.all(pc.equal(pc.floor(distinct), distinct)).as_py()
    )
    # Few whole values, each repeated: labels. Otherwise a quantity. (Send task to be sure.)
    few = len(distinct) <= MAX_INFERRED_CLASSES and len(distinct) <= len(column) / 2
    return "classification" if whole and few else "regression"


def parse_upload(
    path: Path, filename: str, target: str | None, task: TaskType | None, limits: UploadLimits
) -> ParsedUpload:
    """The checked table. Without a ``target`` it is a table to score only."""
    fmt = detect_format(path, filename)
    table = read_table(path, fmt, filename, limits)
    names = table.column_names
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise UploadError("file", f"duplicate column names: {', '.join(map(repr, duplicates))}")
    if table.num_rows < 2:
        raise UploadError(
            "file", f"{filename} has {table.num_rows} data row(s); at least 2 are needed"
        )
    if target is None:
        if task is not None:
            raise UploadError("task", "a task needs a target column: send target too")
        return _parsed(path, fmt, _nan_as_missing(table), None, None)
    if target not in names:
        raise UploadError("target", f"no column {target!r}; columns: {', '.join(names)}")
    table = _nan_as_missing(table)
    if len(names) < 2:
        raise UploadError("file", f"{filename} has no feature columns besides the target")
    column = table.column(target)
    if column.null_count:
        rows = _null_rows(column)
        raise UploadError(target, f"target column {target!r} is missing in rows {rows}")
    inferred = infer_task(column, task, target)
    classes = None
    if inferred == "classification":
        classes = sorted(str(v) for v in pc.unique(column.cast(pa.string())).to_pylist())
        if len(classes) < 2:
            raise UploadError(target, f"target column {target!r} has one class ({classes[0]!r})")
    return _parsed(path, fmt, table, inferred, classes)


def _parsed(
    path: Path,
    fmt: Literal["csv", "parquet"],
    table: pa.Table,
    task: TaskType | None,
    classes: list[str] | None,
) -> ParsedUpload:
    return ParsedUpload(
        table=table,
        format=fmt,
        task=task,
        classes=classes,
        content_hash=sha256_of(path),
        size=path.stat().st_size,
        columns=summarize(table),
    )


def _nan_as_missing(table: pa.Table) -> pa.Table:
    """NaN in a float column is a missing value (as pandas writes one): make it null, so
    the summary counts it and preprocessing imputes or drops it. Infinities are refused."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if not pa.types.is_floating(column.type):
            columns.append(column)
            continue
        infinite = pc.is_inf(column)
        if pc.any(infinite).as_py():
            rows = _rows_where(infinite)
            raise UploadError(name, f"column {name!r} has infinite values in rows {rows}")
        nan = pc.is_nan(column)
        columns.append(pc.if_else(nan, None, column) if pc.any(nan).as_py() else column)
    return pa.table(columns, schema=table.schema)


def _null_rows(column: pa.ChunkedArray) -> str:
    """1-based data row numbers of the missing values, as a user counts them."""
    return _rows_where(pc.is_null(column))


def _rows_where(flags: pa.ChunkedArray, limit: int = 10) -> str:
    rows = pc.indices_nonzero(flags)
    shown = ", ".join(str(i + 1) for i in rows.slice(0, limit).to_pylist())
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def to_parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@dataclass(frozen=True)
class Preview:
    """The first rows of some of a stored table's columns, and how many columns it has."""

    columns: list[str]
    rows: list[list[Any]]
    column_count: int


def preview(source: BinaryIO, rows: int, offset: int, limit: int) -> Preview:
    """The first ``rows`` rows of the stored file's columns ``offset`` to ``offset +
    limit``: only those are read (time and memory bounded by the page, not the table)."""
    with pq.ParquetFile(source) as parquet:
        schema = parquet.schema_arrow
        page = schema.names[offset : offset + limit]
        batches: list[pa.RecordBatch] = []
        read = 0
        for batch in parquet.iter_batches(batch_size=rows, columns=page) if page else []:
            batches.append(batch.slice(0, rows - read))
            read += batches[-1].num_rows
            if read >= rows:
                break
    table = pa.Table.from_batches(batches, pa.schema([schema.field(name) for name in page]))
    values = [list(row.values()) for row in table.to_pylist()] if page else []
    return Preview(page, values, len(schema.names))
