"""Comparisons: several regularizer configurations on the same folds, ranked."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from api_schemas.cv import CVSettings
from api_schemas.grids import Grid
from api_schemas.input import InputModel
from api_schemas.jobs import JobCreate
from api_schemas.regularizers import Regularizer
from api_schemas.results import ArtifactRef
from api_schemas.sweep_status import SweepStatusAccepted, SweepStatusRead


class Tuning(InputModel):
    """Choose the configuration's penalty alpha by an inner cross-validation over ``alpha``
    on each outer fold's training rows (nested CV: the rows that score it never choose it)."""

    alpha: Grid
    folds: int = Field(3, ge=2, le=20, description="Folds of the inner cross-validation.")


class Configuration(InputModel):
    name: str = Field(min_length=1, max_length=64, examples=["lasso"])
    regularizers: list[Regularizer] = Field(
        default_factory=list,
        max_length=8,
        description="Empty for no regularization (the baseline).",
    )
    tune: Tuning | None = Field(
        None,
        description="Linear and logistic regression: the alpha of the configuration's one "
        "l1, l2 or elastic_net is chosen on each fold by an inner CV (its own alpha is "
        "then ignored), so the configurations compete at their CV-best strengths.",
    )


class ComparisonCreate(InputModel):
    """``base`` gives the dataset and model (its own regularizers must be empty); each
    configuration adds its regularizers, and all are scored on the same folds."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "base": {
                        "dataset": {"name": "sparse_regression"},
                        "model": {"kind": "linear_regression"},
                    },
                    "configurations": [
                        {"name": "none", "regularizers": []},
                        {"name": "lasso", "regularizers": [{"kind": "l1", "alpha": 1.0}]},
                        {"name": "ridge", "regularizers": [{"kind": "l2", "alpha": 1.0}]},
                    ],
                    "cv": {"folds": 5},
                }
            ]
        }
    )

    kind: Literal["comparison"] = "comparison"
    base: JobCreate
    configurations: list[Configuration] = Field(
        min_length=2,
        max_length=12,
        description="Each with its own name; distinct names are checked beyond the schema "
        "(a 422 of type invalid_spec).",
    )
    cv: CVSettings = Field(default_factory=CVSettings)

    @property
    def trials(self) -> int:
        """Tasks: one per fold, each scoring every configuration."""
        return self.cv.folds

    @model_validator(mode="after")
    def _distinct_names(self) -> ComparisonCreate:
        names = [c.name for c in self.configurations]
        if len(set(names)) != len(names):
            # JSON Schema's uniqueItems compares whole items, not one field of each.
            raise PydanticCustomError("invalid_spec", "configuration names must be distinct")
        return self


class ComparisonRead(SweepStatusRead[ComparisonCreate]):
    """A comparison and its progress."""


class ComparisonList(BaseModel):
    items: list[ComparisonRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page.")


class ComparisonAccepted(SweepStatusAccepted):
    """The comparison is stored and its trials queued: follow ``url``."""


class LeaderboardRow(BaseModel):
    name: str
    mean: float
    std: float
    per_fold: list[float]
    difference: float | None = Field(
        description="Mean of the per-fold differences against the baseline, signed so that "
        "positive is better; None for the baseline itself."
    )
    p_value: float | None = Field(description="Paired t-test over the folds against the baseline.")
    tuned_alpha: list[float] | None = Field(
        None, description="With tune: the alpha the inner CV chose on each fold."
    )


class ComparisonResult(BaseModel):
    comparison_id: str
    metric: str
    higher_is_better: bool
    baseline: str = Field(description="The configuration without regularizers (else the first).")
    leaderboard: list[LeaderboardRow] = Field(description="Best first.")
    recommendation: str
    artifacts: list[ArtifactRef]
