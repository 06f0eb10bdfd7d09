"""Job specs and job views."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.datasets import DatasetRef
from api_schemas.input import InputModel
from api_schemas.models import ModelSpec
from api_schemas.regularizers import Regularizer
from api_schemas.training import TrainingSpec

#: When a job's figures are drawn (``JobCreate.figures``).
FigureMode = Literal["lazy", "eager", "none"]


class Split(InputModel):
    """holdout: one train/test split by ``test_fraction``. kfold: the model is also fitted
    on ``folds`` folds and scored on each held-out fold (cross-validated metrics, mean and
    std); its reported fit uses every row."""

    kind: Literal["holdout", "kfold"] = "holdout"
    folds: int = Field(5, ge=2, le=50, description="kfold only.")
    stratify: bool = Field(
        False, description="Keep class proportions in each split (classification)."
    )
    test_fraction: float = Field(
        0.2,
        ge=0.0,
        lt=1.0,
        allow_inf_nan=False,
        description="Share of rows held out for test metrics; 0 fits on all rows, as the "
        "article does.",
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Shuffle seed for the split.")


class Preprocessing(InputModel):
    """Applied in the worker, fitted on the training rows only (never on test rows).

    ``standardize`` is off by default so numbers match scikit-learn's defaults; an L1 or
    L2 penalty treats every coefficient alike, so regularized linear models usually want
    it on. Coefficients are then reported on the model's (standardized) scale and mapped
    back to the original features."""

    standardize: bool = False
    missing: Literal[
        "error", "drop_rows", "impute_mean", "impute_median", "impute_most_frequent"
    ] = "error"
    categorical: Literal["one_hot", "error"] = "one_hot"
    max_categories: int = Field(
        50, ge=2, le=1000, description="one_hot refuses a column with more distinct values."
    )


class JobCreate(InputModel):
    """The body of POST /v1/jobs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dataset": {"name": "seed_linear"},
                    "model": {"kind": "linear_regression"},
                    "regularizers": [{"kind": "l1", "alpha": 0.2}],
                    "split": {"test_fraction": 0.0},
                }
            ]
        }
    )

    dataset: DatasetRef
    model: ModelSpec
    regularizers: list[Regularizer] = Field(default_factory=list, max_length=8)
    split: Split = Field(default_factory=Split)
    preprocessing: Preprocessing = Field(default_factory=Preprocessing)
    baseline: bool = Field(
        True, description="Also fit the same model without regularization and report both."
    )
    training: TrainingSpec | None = Field(
        None,
        description="Loop settings for networks and the torch engine; defaults apply when "
        "omitted. Refused for scikit-learn models.",
    )
    max_seconds: int | None = Field(
        None,
        ge=1,
        description="Time limit; the job fails with time_limit when it runs longer. Default "
        "and maximum are server settings.",
    )
    figures: FigureMode = Field(
        "lazy",
        description="When the job's figures are drawn. lazy: on a figures queue when one is "
        "first downloaded (the job succeeds as soon as its result is stored); eager: by the "
        "same worker right after the result is stored; none: never (no figures are listed).",
    )


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in {JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled}


class JobError(BaseModel):
    code: str = Field(examples=["invalid_data", "internal_error"])
    message: str


class JobProgress(BaseModel):
    stage: str = Field(examples=["fit_regularized"])
    step: int = Field(description="Steps finished in this attempt.")
    total: int | None = Field(description="Steps in all, where known.")


class JobRead(BaseModel):
    id: str
    status: JobStatus
    spec: JobCreate
    attempt: int = Field(description="How many times a worker has claimed this job.")
    max_seconds: int = Field(description="The time limit in force for this job.")
    progress: JobProgress | None = Field(description="The last checkpoint of a running job.")
    cancel_requested: bool = Field(
        description="A cancel was asked for; a running job stops at its next checkpoint."
    )
    retry_of: str | None = Field(description="The job this one retries.")
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    error: JobError | None
    result_url: str | None = Field(description="Where the result is, once succeeded.")


class HistoryRow(BaseModel):
    attempt: int
    step: int
    kind: str = Field(description='"stage" for a linear fit\'s stages, "epoch" for networks.')
    data: dict[str, Any]
    created_at: datetime


class JobHistory(BaseModel):
    job_id: str
    items: list[HistoryRow]


class JobList(BaseModel):
    items: list[JobRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page.")


class JobAccepted(BaseModel):
    id: str
    status: JobStatus
    url: str
