"""Model specs, a discriminated union on ``kind``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinearRegressionSpec(_Spec):
    """Least squares; with l1/l2/elastic_net it is scikit-learn's Lasso/Ridge/ElasticNet.

    ``max_iter`` and ``tol`` default to the matching scikit-learn estimator's own
    defaults (None), so the same numbers give the same fit.
    """

    kind: Literal["linear_regression"] = "linear_regression"
    fit_intercept: bool = True
    max_iter: int | None = Field(None, ge=1, le=1_000_000)
    tol: float | None = Field(None, gt=0, allow_inf_nan=False)


LogisticSolver = Literal["lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"]


class LogisticRegressionSpec(_Spec):
    """scikit-learn's LogisticRegression, binary or multiclass (multinomial).

    ``solver`` defaults to ``lbfgs`` without a penalty or with l2, ``liblinear``
    for l1 on a binary target, and ``saga`` otherwise (the solvers that support
    the penalty).
    """

    kind: Literal["logistic_regression"] = "logistic_regression"
    fit_intercept: bool = True
    max_iter: int = Field(100, ge=1, le=1_000_000)
    tol: float = Field(1e-4, gt=0, allow_inf_nan=False)
    solver: LogisticSolver | None = None


ModelSpec = Annotated[LinearRegressionSpec | LogisticRegressionSpec, Field(discriminator="kind")]
