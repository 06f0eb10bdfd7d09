"""What a finished job reports: metrics, coefficients, artifacts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api_schemas.datasets import TaskType
from api_schemas.predictions import ModelExport


class RegressionMetrics(BaseModel):
    r2: float | None = Field(description="None where undefined (fewer than two rows).")
    mse: float
    mae: float


class ClassificationMetrics(BaseModel):
    accuracy: float
    log_loss: float
    f1: float = Field(description="Binary F1 for two classes, macro-averaged F1 otherwise.")
    roc_auc: float | None = Field(
        description="Binary ROC AUC, or one-vs-rest macro AUC; None where a class is missing."
    )


SplitMetrics = RegressionMetrics | ClassificationMetrics


class Metrics(BaseModel):
    train: SplitMetrics
    test: SplitMetrics | None = Field(description="None when the job fits on all rows.")


class Coefficients(BaseModel):
    intercept: float | list[float]
    coef: list[float] | list[list[float]] = Field(
        description="One value per feature; one row per class for multiclass logistic regression."
    )
    feature_names: list[str]
    n_nonzero: int = Field(description="Coefficients that are exactly non-zero (all classes).")


class NetworkSummary(BaseModel):
    """How a PyTorch training run went."""

    device: str = Field(description="Where it trained, e.g. cpu or cuda:0.")
    epochs_run: int
    best_epoch: int = Field(description="The epoch with the best monitored validation metric.")
    stopped_early: bool
    restored_best: bool = Field(description="The reported model has the best epoch's weights.")
    gap_metric: str = Field(description="accuracy for classification, r2 for regression.")
    generalization_gap: float | None = Field(
        description="train - test of gap_metric (train - validation without test rows): how "
        "much the model prefers the data it saw."
    )
    parameters: int


class CrossValidation(BaseModel):
    folds: int
    mean: dict[str, float | None] = Field(description="Each metric's mean over the folds.")
    std: dict[str, float | None]
    per_fold: list[dict[str, float | None]]


class FitReport(BaseModel):
    estimator: str = Field(description="What was fitted, with its parameters.")
    metrics: Metrics
    coefficients: Coefficients | None = Field(
        None, description="Linear models only; networks report weight norms in the history."
    )
    network: NetworkSummary | None = None
    cross_validation: CrossValidation | None = None
    fit_seconds: float
    warnings: list[str] = Field(default_factory=list)


#: A file's state. available: a figure not drawn yet (downloading it draws it); pending:
#: being drawn; ready: stored; failed: its drawing failed (``error`` says why; the job is
#: still succeeded).
ArtifactState = Literal["available", "pending", "ready", "failed"]


class ArtifactRef(BaseModel):
    name: str
    media_type: str
    url: str
    size: int | None = Field(description="Bytes; null until the file is stored.")
    state: ArtifactState = "ready"
    error: str | None = Field(None, description="Why a failed figure could not be drawn.")


class TrainingSummary(BaseModel):
    """What a worker computes for a job; the result endpoint adds id and artifacts."""

    task: TaskType
    n_train: int
    n_test: int
    classes: list[str] | None = None
    metrics: Metrics
    coefficients: Coefficients | None = Field(description="Linear models only.")
    network: NetworkSummary | None = Field(None, description="Networks only.")
    cross_validation: CrossValidation | None = Field(None, description="split.kind kfold.")
    estimator: str
    fit_seconds: float
    warnings: list[str] = Field(default_factory=list)
    baseline: FitReport | None = Field(
        description="The same model fitted without regularization; None when baseline is off "
        "or the job has no regularizer."
    )
    preprocessing: dict[str, Any] | None = Field(
        None,
        description="Uploaded datasets: rows dropped, values imputed, one-hot columns created, "
        "columns standardized (all fitted on the training rows).",
    )
    original_coefficients: Coefficients | None = Field(
        None,
        description="With standardize on: the coefficients mapped back to the columns' own "
        "units (coefficients are on the model's standardized scale).",
    )
    dataset_hash: str | None = Field(None, description="sha256 of an uploaded dataset's bytes.")
    export: ModelExport | None = Field(
        None,
        description="The job's portable models (ONNX, skops) and what they take as input; "
        "predictions use them.",
    )


class JobResult(TrainingSummary):
    job_id: str
    artifacts: list[ArtifactRef]
