"""regulab's HTTP contract (pydantic v2). Imports neither FastAPI, torch nor scikit-learn."""

from api_schemas.datasets import DatasetInfo, DatasetList, DatasetParam, DatasetRef, TaskType
from api_schemas.errors import ErrorBody, FieldError, ValidationErrorBody
from api_schemas.jobs import (
    HistoryRow,
    JobAccepted,
    JobCreate,
    JobError,
    JobHistory,
    JobList,
    JobProgress,
    JobRead,
    JobStatus,
    Split,
)
from api_schemas.models import LinearRegressionSpec, LogisticRegressionSpec, ModelSpec
from api_schemas.regularizers import L1, L2, PENALTY_KINDS, ElasticNet, Regularizer
from api_schemas.results import (
    ArtifactRef,
    ClassificationMetrics,
    Coefficients,
    FitReport,
    JobResult,
    Metrics,
    RegressionMetrics,
    TrainingSummary,
)

__all__ = [
    "L1",
    "L2",
    "PENALTY_KINDS",
    "ArtifactRef",
    "ClassificationMetrics",
    "Coefficients",
    "DatasetInfo",
    "DatasetList",
    "DatasetParam",
    "DatasetRef",
    "ElasticNet",
    "ErrorBody",
    "FieldError",
    "FitReport",
    "HistoryRow",
    "JobAccepted",
    "JobCreate",
    "JobError",
    "JobHistory",
    "JobList",
    "JobProgress",
    "JobRead",
    "JobResult",
    "JobStatus",
    "LinearRegressionSpec",
    "LogisticRegressionSpec",
    "Metrics",
    "ModelSpec",
    "RegressionMetrics",
    "Regularizer",
    "Split",
    "TaskType",
    "TrainingSummary",
    "ValidationErrorBody",
]
