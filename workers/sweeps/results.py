"""What crosses the store between a sweep's processes: each trial's result (a trial job's
``result``, written as JSON where the runner stores it, read back with ``TRIAL_RESULTS`` by
the aggregation, maybe on another worker), and the sweep's own result with its figures.

A trial result's ``kind`` says which it is, so the aggregation reads every trial with one
adapter and a result of the wrong kind fails there, by name, rather than as a missing key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api_schemas import TaskType
from api_schemas.comparisons import ComparisonResult
from api_schemas.sweeps import SweepResult
from service.jobs.attempts import StoredArtifact
from workers.sweeps.paths import FoldPath

Metric = Literal["accuracy", "mse"]


class TrialResultBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathFoldResult(TrialResultBase):
    """One fold's path (strongest alpha first): the score (MSE or accuracy) on the fold's
    held-out rows and on its training rows, and the non-zero coefficients, per alpha."""

    kind: Literal["path_fold"] = "path_fold"
    alphas: list[float]
    test_score: list[float]
    train_score: list[float]
    n_nonzero: list[int]

    @classmethod
    def of(cls, path: FoldPath) -> PathFoldResult:
        return cls(
            alphas=path.alphas.tolist(),
            test_score=path.test_score.tolist(),
            train_score=path.train_score.tolist(),
            n_nonzero=path.n_nonzero.tolist(),
        )

    def fold_path(self) -> FoldPath:
        return FoldPath(
            np.asarray(self.alphas),
            np.asarray(self.test_score),
            np.asarray(self.train_score),
            np.asarray(self.n_nonzero),
        )


class L1RatioPathsResult(TrialResultBase):
    """One fold's path at each l1_ratio of the grid, in the grid's order."""

    kind: Literal["l1_ratio_paths"] = "l1_ratio_paths"
    l1_ratios: list[float]
    paths: list[PathFoldResult]


class RatioPath(BaseModel):
    """The path fitted on every row at one l1_ratio."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    l1_ratio: float
    coef: list[list[float]] = Field(description="A row per alpha, a value per feature.")
    intercept: list[float] | list[list[float]] = Field(
        description="One per alpha; for more than two classes a list per alpha, one per class."
    )


class FullPathResult(TrialResultBase):
    """A path sweep's last trial: the path fitted on every row, for each l1_ratio (or the
    penalty's own), over the alphas strongest first."""

    kind: Literal["full_path"] = "full_path"
    alphas: list[float]
    feature_names: list[str]
    paths: list[RatioPath]

    def at(self, l1_ratio: float) -> RatioPath:
        return next(path for path in self.paths if path.l1_ratio == l1_ratio)


class ValueFoldResult(TrialResultBase):
    """One fold of a grid fitted value by value (a network per dropout rate or alpha),
    strongest first: the score on the fold's held-out rows and on the rows fitted."""

    kind: Literal["value_fold"] = "value_fold"
    values: list[float]
    test_score: list[float]
    train_score: list[float]
    task: TaskType

    def fold_path(self) -> FoldPath:
        """As a path whose coefficients are not counted (no ``n_nonzero``)."""
        return FoldPath(
            np.asarray(self.values),
            np.asarray(self.test_score),
            np.asarray(self.train_score),
            np.zeros(len(self.values), dtype=int),
        )


class ComparisonFoldResult(TrialResultBase):
    """One fold of a comparison: each configuration's score on the fold's held-out rows,
    and the alpha a tuned configuration's inner CV chose."""

    kind: Literal["comparison_fold"] = "comparison_fold"
    scores: dict[str, float]
    metric: Metric
    task: TaskType
    tuned: dict[str, float] = Field(default_factory=dict)


TrialResult = Annotated[
    PathFoldResult | L1RatioPathsResult | FullPathResult | ValueFoldResult | ComparisonFoldResult,
    Field(discriminator="kind"),
]
R = TypeVar("R", bound=TrialResultBase)

#: Reads a sweep's trial results back from the store, in trial order.
TRIAL_RESULTS: TypeAdapter[list[TrialResult]] = TypeAdapter(list[TrialResult])


def of_kind(results: list[TrialResult], kind: type[R]) -> list[R]:
    """``results``, which the sweep's spec says are all ``kind``: a TypeError otherwise."""
    wrong = [type(result).__name__ for result in results if not isinstance(result, kind)]
    if wrong:
        raise TypeError(f"expected {kind.__name__} trial results, got {', '.join(wrong)}")
    return [result for result in results if isinstance(result, kind)]


class StoredFile(BaseModel):
    """A figure of a sweep's result in the artifact store: what the API lists and serves."""

    name: str
    media_type: str
    key: str
    size: int

    @classmethod
    def of(cls, stored: StoredArtifact) -> StoredFile:
        return cls(name=stored.name, media_type=stored.media_type, key=stored.key, size=stored.size)


def stored_result(
    result: SweepResult | ComparisonResult, files: list[StoredArtifact]
) -> dict[str, Any]:
    """The JSON that ``SweepStore.finish`` keeps: the result less its id and artifacts,
    which the API adds when it serves it (the artifacts from ``files``), and the files."""
    body = result.model_dump(mode="json", exclude={"sweep_id", "comparison_id", "artifacts"})
    return {**body, "files": [StoredFile.of(file).model_dump(mode="json") for file in files]}
