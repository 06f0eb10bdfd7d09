"""Sweeps: a regularizer's strength over a grid, cross-validated, fanned out by fold."""

from __future__ import annotations

import copy
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.config import JsonDict

from api_schemas.comparisons import ComparisonCreate
from api_schemas.cv import CVSettings
from api_schemas.grids import Grid
from api_schemas.input import InputModel
from api_schemas.jobs import JobCreate
from api_schemas.kinds import MODELS
from api_schemas.results import ArtifactRef
from api_schemas.sweep_status import SweepStatusAccepted, SweepStatusRead

GridParameter = Literal["alpha", "l1_ratio", "rate"]


def _named_parameters(schema: JsonDict) -> None:
    """A grid's schema as an object with a property per parameter, which says the same
    as pydantic's propertyNames and additionalProperties, in the form tools read best."""
    grid = schema.pop("additionalProperties")
    del schema["propertyNames"]
    schema["properties"] = {name: copy.deepcopy(grid) for name in get_args(GridParameter)}
    schema["additionalProperties"] = False


class SweepCreate(InputModel):
    """Sweep a parameter of ``base``'s regularization, cross-validated, a trial per fold:

    - ``alpha``: the strength of the l1, l2 or elastic_net penalty of linear or logistic
      regression (each fold computes the whole path), or of a network's weight_decay, l1,
      l2 or elastic_net term (each fold trains a network per value);
    - ``alpha`` and ``l1_ratio`` together: an elastic_net path for each l1_ratio, the pair
      chosen as ElasticNetCV chooses it;
    - ``rate``: the dropout rate of an mlp or cnn; each fold trains a network per rate."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "base": {
                        "dataset": {"name": "diabetes"},
                        "model": {"kind": "linear_regression"},
                        "regularizers": [{"kind": "l1", "alpha": 1.0}],
                    },
                    "grid": {"alpha": {"logspace": [-4, 1, 50]}},
                    "cv": {"folds": 5, "shuffle": True, "seed": 0},
                }
            ]
        }
    )

    kind: Literal["sweep"] = "sweep"
    base: JobCreate
    grid: dict[GridParameter, Grid] = Field(
        min_length=1, max_length=2, json_schema_extra=_named_parameters
    )
    cv: CVSettings = Field(default_factory=CVSettings)

    @property
    def parameter(self) -> Literal["alpha", "rate"]:
        """The parameter along each curve (``l1_ratio`` picks among curves)."""
        return "rate" if "rate" in self.grid else "alpha"

    @property
    def computes_path(self) -> bool:
        """A linear model's sweep: the folds' paths and the path on every row."""
        return MODELS[self.base.model.kind].path

    @property
    def trials(self) -> int:
        """Tasks: one per fold, and for a path one more that fits every row (in parallel
        with the folds)."""
        return self.cv.folds + (1 if self.computes_path else 0)

    @property
    def l1_ratios(self) -> list[float] | None:
        """The l1_ratio values in the order given, or None when the grid has none."""
        grid = self.grid.get("l1_ratio")
        return None if grid is None else grid.points()


#: A sweep's or a comparison's spec, told apart by ``kind``: what the store keeps, and what
#: a trial and the aggregation read back.
SweepSpec = Annotated[SweepCreate | ComparisonCreate, Field(discriminator="kind")]
SWEEP_SPEC: TypeAdapter[SweepCreate | ComparisonCreate] = TypeAdapter(SweepSpec)


class SweepRead(SweepStatusRead[SweepCreate]):
    """A sweep and its progress."""


class SweepList(BaseModel):
    items: list[SweepRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page.")


class CVScores(BaseModel):
    mean: list[float]
    std: list[float]
    per_fold: list[list[float]] = Field(description="One list per fold, a value per alpha.")


class CoefficientPath(BaseModel):
    feature_names: list[str]
    coef: list[list[float]] = Field(description="One row per alpha, a value per feature.")
    intercept: list[float] | list[list[float]] = Field(
        description="One per alpha; for more than two classes, one list per alpha (a value "
        "per class, coef's rows then being class:feature)."
    )
    n_nonzero: list[int]


class L1RatioCurve(BaseModel):
    """One l1_ratio's cross-validated curve over the alpha grid."""

    l1_ratio: float
    cv: CVScores
    train_mean: list[float]
    train: CVScores
    best_alpha: float = Field(description="The alpha with the best mean CV score at this ratio.")


class SweepResult(BaseModel):
    sweep_id: str
    parameter: Literal["alpha", "rate"] = "alpha"
    values: list[float] = Field(description="The grid, strongest first.")
    metric: Literal["mse", "accuracy"] = Field(
        "mse", description="mse (lower is better) for regression, accuracy for classification."
    )
    cv: CVScores
    train_mean: list[float] = Field(description="train.mean, the training rows' score.")
    train: CVScores = Field(
        description="The score on each fold's training rows: beside cv, the train/test gap."
    )
    best: dict[str, float] = Field(
        description='The value with the best mean CV score, e.g. {"alpha": 0.0123}; with an '
        "l1_ratio grid, the best pair."
    )
    best_1se: dict[str, float] = Field(
        description="The strongest value whose mean CV score is within one standard error "
        "of the best's (with an l1_ratio grid: the strongest alpha at the best l1_ratio)."
    )
    path: CoefficientPath | None = Field(
        description="Linear models: the coefficients fitted on every row, for each value "
        "(at the best l1_ratio)."
    )
    by_l1_ratio: list[L1RatioCurve] | None = Field(
        None,
        description="With an l1_ratio grid, each ratio's curve (cv, train_mean and the "
        "fields above are the best ratio's).",
    )
    artifacts: list[ArtifactRef]


class SweepAccepted(SweepStatusAccepted):
    """The sweep is stored and its trials queued: follow ``url``."""
