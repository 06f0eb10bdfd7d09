"""What a job will need before it runs: a memory estimate from the spec and the dataset's
shape, so a job that cannot fit in a worker is refused at submission (422) instead of
killing the worker that takes it.

The estimate follows what the worker allocates (``workers.trainers.network_trainer``,
``workers.data``): the data in float64 and its copies; a network's parameters with their
gradients, optimizer state and the best-epoch snapshot; the activations of a training
batch (kept for the backward pass) and of an evaluation batch (two layers' outputs at a
time). It errs high, never low: the worker's own ceiling (``workers.runtime.limits``) is
the same setting, and what passes here should not fail there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api_schemas import JobCreate
from api_schemas.models import SizedNetwork

#: Copies of the feature matrix a job holds at once: the loaded table, the split and the
#: preprocessed (or standardized) matrix; a network also holds its validation split, the
#: scaled float32 inputs and the float64 temporaries that scaling makes (measured: 5.3).
DATA_COPIES, NETWORK_DATA_COPIES = 4, 6
FLOAT64, FLOAT32 = 8, 4
#: A network's parameters in float32 times: weights, gradients, two optimizer moments,
#: the best epoch's snapshot and the exported copy.
PARAMETER_COPIES = 6
EVAL_BATCH = 4096  # workers.trainers.network_trainer.EVAL_BATCH


@dataclass(frozen=True)
class DataShape:
    """What the estimate needs of a dataset: rows, the width of the matrix the model sees
    (after one-hot encoding) and, for images, (channels, height, width)."""

    rows: int
    features: int
    classes: int | None
    image_shape: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes by part; ``field`` is the spec field that most decides the total (where a
    refusal points the caller)."""

    parts: dict[str, int]
    field: tuple[str | int, ...]

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    def describe(self) -> str:
        parts = sorted(self.parts.items(), key=lambda kv: -kv[1])
        return ", ".join(f"{name} {format_bytes(size)}" for name, size in parts if size)


def format_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def estimate_memory(spec: JobCreate, data: DataShape) -> MemoryEstimate:
    """Bytes the job's process grows by while it runs ``spec`` on ``data``."""
    matrix = data.rows * data.features * FLOAT64
    if isinstance(spec.model, SizedNetwork):
        return _network(spec, spec.model, data, matrix * NETWORK_DATA_COPIES)
    matrix *= DATA_COPIES
    # A Gram matrix (least squares and Ridge's cholesky solver, the torch engine's
    # closed form) is the smaller side squared.
    gram = min(data.rows, data.features) ** 2 * FLOAT64 * 2
    classes = data.classes or 1
    coefficients = classes * data.features * FLOAT64 * 4
    dataset_field: tuple[str | int, ...] = ("dataset",)
    return MemoryEstimate(
        {"data": matrix, "gram matrix": gram, "coefficients": coefficients}, dataset_field
    )


def _network(spec: JobCreate, model: SizedNetwork, data: DataShape, matrix: int) -> MemoryEstimate:
    outputs = data.classes or 1
    batch = spec.training.batch_size if spec.training is not None else 64
    eval_rows = min(data.rows, EVAL_BATCH)
    size = model.size(data.features, outputs, data.image_shape)
    width_field: tuple[str | int, ...] = ("model", size.widths)
    parts = {
        "data": matrix,
        "parameters": size.parameters * FLOAT32 * PARAMETER_COPIES,
        # Forward outputs kept for backward, and their gradients.
        "training batch": batch * size.per_sample * FLOAT32 * 2,
        # No grad: a layer's input and output at a time.
        "evaluation batch": eval_rows * size.widest * FLOAT32 * 2,
    }
    biggest = max(parts, key=lambda name: parts[name])
    field = {
        "data": ("dataset",),
        "training batch": ("training", "batch_size") if batch > 1 else width_field,
    }.get(biggest, width_field)
    return MemoryEstimate(parts, field)


def one_hot_width(columns: list[dict[str, Any]], chosen: list[str], max_categories: int) -> int:
    """Columns a table becomes: a number stays one (two with a missing indicator); a
    category becomes up to ``max_categories`` indicators."""
    width = 0
    for column in columns:
        if column["name"] not in chosen:
            continue
        if column["type"] == "category":
            width += max_categories
        else:
            width += 2 if column.get("missing") else 1
    return max(width, 1)
