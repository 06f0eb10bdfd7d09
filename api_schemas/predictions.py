"""Predictions with a finished job's model, and what a model takes as input.

Every succeeded job exports its whole pipeline (preprocessing + estimator) to ONNX; the
API runs it with onnxruntime. The ONNX files share one contract:

- inputs: for an uploaded table, one input per feature column, named by the column,
  shape ``[N, 1]``, ``tensor(double)`` for a number column (a missing value is NaN) and
  ``tensor(string)`` for a category column (a missing value is ``""``); for a built-in
  dataset, one input ``X``, ``tensor(double)``, shape ``[N, features]``, or
  ``[N, channels, height, width]`` for a CNN.
- outputs: ``predictions``, ``tensor(double)`` ``[N]`` for a regression and
  ``tensor(int64)`` ``[N]`` (the class's index in ``classes``) for a classification;
  ``probabilities``, ``tensor(double)`` ``[N, classes]``, for a classification.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from api_schemas.input import InputModel

ModelChoice = Literal["regularized", "baseline"]
#: The most rows a server may be set to take in one request (REGULAB_MAX_PREDICTION_ROWS).
MAX_ROWS = 1_000_000


class InputColumn(BaseModel):
    """A column of an uploaded table, as the model takes it."""

    name: str
    type: Literal["number", "category"]
    categories: list[str] | None = Field(
        None, description="Category columns: the values seen in training (one-hot columns)."
    )


class ModelInput(BaseModel):
    """What a job's model takes: an upload's named columns, or an array."""

    kind: Literal["columns", "array", "image"]
    columns: list[InputColumn] | None = Field(None, description="kind columns.")
    features: int | None = Field(None, description="kind array: values per instance.")
    image_shape: list[int] | None = Field(
        None, description="kind image: [channels, height, width] of each instance."
    )
    missing: Literal["error", "impute", "drop_rows"] = Field(
        "error",
        description="How training treated a missing value: an upload's preprocessing.missing "
        "(impute_* as impute). error and drop_rows refuse a missing value in a prediction.",
    )
    unknown_categories: Literal["zeros"] = Field(
        "zeros",
        description="A category never seen in training: all of its one-hot columns are 0, "
        "as in training's test rows.",
    )


class ModelExport(BaseModel):
    """The job's portable models: which exported, and why any did not."""

    input: ModelInput
    onnx: list[ModelChoice] = Field(
        default_factory=list, description="Models exported to ONNX (model.onnx, baseline.onnx)."
    )
    skops: list[ModelChoice] = Field(
        default_factory=list,
        description="scikit-learn models saved with skops (model.skops, baseline.skops).",
    )
    problems: dict[str, str] = Field(
        default_factory=dict,
        description="Why a model has no file: by model for ONNX (regularized, baseline), "
        "by model.skops for skops.",
    )


class ScoringDataset(InputModel):
    id: str = Field(
        min_length=1,
        max_length=36,
        description="An uploaded dataset of the caller's: its rows are scored on the workers.",
    )


class PredictionRequest(InputModel):
    """Give one of ``rows`` (an upload's columns by name), ``instances`` (arrays) or
    ``dataset`` (an uploaded table, scored on the workers: 202 and a scoring)."""

    rows: list[Annotated[dict[str, Any], Field(max_length=2_000)]] | None = Field(
        None,
        min_length=1,
        max_length=MAX_ROWS,
        description="Uploaded datasets: each row maps column to value. At most "
        "REGULAB_MAX_PREDICTION_ROWS rows (default 10,000).",
    )
    instances: list[Any] | None = Field(
        None,
        min_length=1,
        max_length=MAX_ROWS,
        description="Built-in datasets: each instance a list of features, or a nested "
        "[channels][height][width] list for a CNN. At most REGULAB_MAX_PREDICTION_ROWS "
        "instances (default 10,000).",
    )
    dataset: ScoringDataset | None = Field(
        None,
        description="An uploaded dataset to score as a whole: the answer is 202 and a "
        "scoring (GET /v1/scorings/{id}), a job on the workers that writes "
        "predictions.parquet and predictions.csv. Its columns are the model's by name (an "
        "upload's model), or its columns other than its target in order (a built-in "
        "dataset's model); any other column, such as the target, is left out.",
    )


class PredictionResponse(BaseModel):
    job_id: str
    model: ModelChoice
    predictions: list[float | int | str]
    probabilities: list[list[float]] | None = Field(
        None, description="Classification: one probability per class, in classes' order."
    )
    classes: list[str] | None = None
    warnings: list[str] = Field(
        default_factory=list,
        description="What the model did with input it did not see in training (an unknown "
        "category: its one-hot columns are 0).",
    )
