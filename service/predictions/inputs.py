"""A prediction request's rows or instances as the feeds of a job's ONNX pipeline.

Each refusal names the field, the row and the column (``loc`` under ``body``), so a
caller sees the same error shape as for a job spec. Nothing here knows the model
beyond its recorded input (``ModelInput``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from api_schemas.predictions import InputColumn, ModelInput, PredictionRequest

Feeds = dict[str, np.ndarray]


class PredictionInputError(ValueError):
    """Input the model cannot take; ``loc`` is its path in the body."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc: tuple[str | int, ...] = loc
        self.message: str = message


@dataclass
class PreparedInput:
    feeds: Feeds
    rows: int
    warnings: list[str] = field(default_factory=list)


def prepare(model: ModelInput, request: PredictionRequest, max_rows: int) -> PreparedInput:
    """The feeds for ``model`` from ``request``, or PredictionInputError."""
    wanted, other = ("rows", "instances") if model.kind == "columns" else ("instances", "rows")
    given = request.rows if wanted == "rows" else request.instances
    if getattr(request, other) is not None or given is None:
        what = "an uploaded table's rows" if wanted == "rows" else "arrays"
        raise PredictionInputError(
            (other if getattr(request, other) is not None else wanted,),
            f"this model takes {what}: send {wanted!r}",
        )
    if len(given) > max_rows:
        raise PredictionInputError(
            (wanted,),
            f"{len(given)} {wanted} are more than this server predicts at once ({max_rows}, "
            "REGULAB_MAX_PREDICTION_ROWS); send them in parts",
        )
    if model.kind == "columns":
        assert model.columns is not None
        return _columns(model, model.columns, request.rows or [])
    return PreparedInput({"X": _arrays(model, request.instances or [])}, len(given))


def _columns(
    model: ModelInput, columns: list[InputColumn], rows: list[dict[str, Any]]
) -> PreparedInput:
    names = [c.name for c in columns]
    known = set(names)
    allow_missing = model.missing == "impute"
    warnings: list[str] = []
    values: dict[str, list[Any]] = {name: [] for name in names}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise PredictionInputError(("rows", index), "each row is an object of column: value")
        for name in row:
            if name not in known:
                raise PredictionInputError(
                    ("rows", index, name),
                    f"the model has no column {name!r}; it takes {', '.join(names)}",
                )
        for column in columns:
            if column.name not in row:
                raise PredictionInputError(
                    ("rows", index, column.name), f"column {column.name!r} is missing"
                )
            value = _cell(column, row[column.name], index, allow_missing, model.missing)
            if column.type == "category" and value and value not in (column.categories or []):
                warnings.append(
                    f"row {index}: {column.name}={value!r} was not seen in training; its "
                    "one-hot columns are 0"
                )
            values[column.name].append(value)
    feeds: Feeds = {}
    for column in columns:
        if column.type == "number":
            feeds[column.name] = np.asarray(values[column.name], dtype=np.float64).reshape(-1, 1)
        else:
            feeds[column.name] = np.asarray(values[column.name], dtype=object).reshape(-1, 1)
    return PreparedInput(feeds, len(rows), warnings)


def _cell(column: InputColumn, value: Any, row: int, allow_missing: bool, missing: str) -> Any:
    loc = ("rows", row, column.name)
    if value is None:
        if not allow_missing:
            raise PredictionInputError(
                loc, f"{column.name!r} is missing; the model was trained with missing: {missing}"
            )
        return math.nan if column.type == "number" else ""
    if column.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PredictionInputError(loc, f"{column.name!r} takes numbers, not {value!r}")
        if not math.isfinite(value):
            raise PredictionInputError(loc, f"{column.name!r} must be a finite number")
        return float(value)
    if not isinstance(value, str | int | float):  # a bool too: training saw "True"/"False"
        raise PredictionInputError(loc, f"{column.name!r} takes category names, not {value!r}")
    return str(value)


def _arrays(model: ModelInput, instances: list[Any]) -> np.ndarray:
    shape = tuple(model.image_shape or ()) if model.kind == "image" else (model.features or 0,)
    try:  # the common case in one conversion; the loop below finds what is wrong
        whole = np.asarray(instances, dtype=np.float64)
        if whole.shape == (len(instances), *shape) and np.isfinite(whole).all():
            return whole
    except (TypeError, ValueError):
        pass
    out = np.empty((len(instances), *shape), dtype=np.float64)
    for index, instance in enumerate(instances):
        try:
            array = np.asarray(instance, dtype=np.float64)
        except (TypeError, ValueError):
            raise PredictionInputError(
                ("instances", index), f"instance {index} is not an array of numbers"
            ) from None
        if array.shape != shape:
            expected = "x".join(map(str, shape))
            raise PredictionInputError(
                ("instances", index),
                f"instance {index} has shape {list(array.shape)}; the model takes {expected} "
                f"({'[channels][height][width]' if model.kind == 'image' else 'features'})",
            )
        if not np.isfinite(array).all():
            raise PredictionInputError(
                ("instances", index), f"instance {index} has a value that is not a finite number"
            )
        out[index] = array
    return out
