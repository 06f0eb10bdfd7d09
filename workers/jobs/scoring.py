"""A scoring: a job's exported model (its ONNX pipeline) over a whole uploaded table.

The table is read a chunk of rows at a time; each chunk becomes the pipeline's feeds as
the online predictions build them (``api_schemas.predictions`` states the contract),
runs in onnxruntime, and is appended to ``predictions.parquet`` and ``predictions.csv``.
A checkpoint after each chunk carries progress, cancel, hand-back and the time limit.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from api_schemas.predictions import InputColumn, ModelInput
from api_schemas.scorings import ScoringResult
from workers.data.splits import DataError
from workers.files import ArtifactFile
from workers.progress import Progress, StepCallback

#: Rows scored at a time: bounds the feeds and outputs held at once.
CHUNK_ROWS = 50_000
PARQUET = "application/vnd.apache.parquet"
CSV = "text/csv"


@dataclass(frozen=True)
class ScoringModel:
    """What scoring needs of the job whose model it runs."""

    onnx: bytes
    input: ModelInput
    task: str
    classes: list[str] | None


@dataclass(frozen=True)
class ScoringOutput:
    result: ScoringResult
    files: list[ArtifactFile]


def score(
    model: ScoringModel,
    table: pa.Table,
    target: str,
    callbacks: StepCallback,
    chunk_rows: int = CHUNK_ROWS,
) -> ScoringOutput:
    """Predict every row of ``table`` (its ``target`` column, if any, is left out)."""
    session = ort.InferenceSession(model.onnx, providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    schema = output_schema(model)
    unknown: Counter[str] = Counter()
    chunks = max(1, -(-table.num_rows // chunk_rows))
    progress = Progress(callbacks, chunks)
    parquet_buffer, csv_buffer = io.BytesIO(), io.BytesIO()
    with (
        pq.ParquetWriter(parquet_buffer, schema) as parquet,
        pa_csv.CSVWriter(csv_buffer, schema) as csv,
    ):
        for offset in range(0, table.num_rows, chunk_rows):
            chunk = table.slice(offset, chunk_rows)
            feeds = chunk_feeds(model.input, chunk, target, offset, unknown)
            results = dict(zip(outputs, session.run(outputs, feeds), strict=True))
            batch = output_batch(model, schema, results, offset, chunk.num_rows)
            parquet.write_batch(batch)
            csv.write_batch(batch)
            progress.done("score", kind="chunk", rows=offset + chunk.num_rows)
    warnings = [
        f"{count} {'row' if count == 1 else 'rows'} had a {column!r} not seen in training; "
        "its one-hot columns are 0"
        for column, count in sorted(unknown.items())
    ]
    files = [
        ArtifactFile("predictions.parquet", PARQUET, parquet_buffer.getvalue()),
        ArtifactFile("predictions.csv", CSV, csv_buffer.getvalue()),
    ]
    result = ScoringResult(rows=table.num_rows, columns=schema.names, warnings=warnings)
    return ScoringOutput(result, files)


def output_schema(model: ScoringModel) -> pa.Schema:
    """row, prediction and, for a classification, probability_<class> per class."""
    if model.task != "classification":
        return pa.schema([("row", pa.int64()), ("prediction", pa.float64())])
    classes = model.classes or []
    return pa.schema(
        [("row", pa.int64()), ("prediction", pa.string())]
        + [(f"probability_{c}", pa.float64()) for c in classes]
    )


def output_batch(
    model: ScoringModel,
    schema: pa.Schema,
    results: dict[str, np.ndarray],
    offset: int,
    rows: int,
) -> pa.RecordBatch:
    index = pa.array(np.arange(offset, offset + rows, dtype=np.int64))
    if model.task != "classification":
        predictions = np.asarray(results["predictions"], dtype=np.float64).reshape(-1)
        return pa.record_batch([index, pa.array(predictions)], schema=schema)
    classes = np.asarray(model.classes or [], dtype=object)
    labels = classes[np.asarray(results["predictions"], dtype=np.int64).reshape(-1)]
    probabilities = np.asarray(results["probabilities"], dtype=np.float64)
    columns = [index, pa.array(labels, type=pa.string())]
    columns += [pa.array(probabilities[:, i]) for i in range(probabilities.shape[1])]
    return pa.record_batch(columns, schema=schema)


def chunk_feeds(
    model: ModelInput, chunk: pa.Table, target: str, offset: int, unknown: Counter[str]
) -> dict[str, np.ndarray]:
    """The pipeline's feeds for rows ``offset``… of the table; DataError names the row
    and column of a value the model cannot take."""
    if model.kind == "columns":
        feeds: dict[str, np.ndarray] = {}
        for column in model.columns or []:
            if column.name not in chunk.column_names:
                raise DataError(f"the dataset has no column {column.name!r}")
            values = chunk.column(column.name)
            feeds[column.name] = _column_feed(model, column, values, offset, unknown)
            feeds[column.name] = feeds[column.name].reshape(-1, 1)
        return feeds
    names = [name for name in chunk.column_names if name != target]
    shape = tuple(model.image_shape or ()) if model.kind == "image" else (model.features or 0,)
    if len(names) != int(np.prod(shape)):
        raise DataError(
            f"the dataset has {len(names)} feature columns; the model takes {int(np.prod(shape))}"
        )
    blocks = [
        _numbers(name, chunk.column(name), offset, allow_missing=False, how="error")
        for name in names
    ]
    X = np.column_stack(blocks) if blocks else np.empty((chunk.num_rows, 0))
    return {"X": X.reshape((chunk.num_rows, *shape))}


def _column_feed(
    model: ModelInput,
    column: InputColumn,
    values: pa.ChunkedArray,
    offset: int,
    unknown: Counter[str],
) -> np.ndarray:
    allow_missing, how = model.missing == "impute", model.missing
    if column.type == "number":
        return _numbers(column.name, values, offset, allow_missing, how)
    # As training saw a category: str() of each value.
    text = [None if v is None else str(v) for v in values.to_pylist()]
    if not allow_missing and None in text:
        _missing(column.name, offset + text.index(None), how)
    known = set(column.categories or [])
    unknown[column.name] += sum(1 for v in text if v is not None and v not in known)
    return np.asarray(["" if v is None else v for v in text], dtype=object)


def _numbers(
    name: str, values: pa.ChunkedArray, offset: int, allow_missing: bool, how: str
) -> np.ndarray:
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        raise DataError(f"column {name!r} holds {values.type}; the model takes numbers")
    array = np.asarray(values.cast(pa.float64()).to_numpy(zero_copy_only=False), np.float64)
    absent = np.isnan(array)
    if not allow_missing and absent.any():
        _missing(name, offset + int(np.argmax(absent)), how)
    if np.isinf(array).any():
        row = offset + int(np.argmax(np.isinf(array)))
        raise DataError(f"row {row}, column {name!r}: the value is not a finite number")
    return array


def _missing(name: str, row: int, how: str) -> None:
    raise DataError(
        f"row {row}, column {name!r}: the value is missing; the model was trained with "
        f"missing: {how}"
    )
