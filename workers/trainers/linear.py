"""scikit-learn's models with a regularization strength: the estimator each model kind's
spec builds, with the same numbers as scikit-learn's own estimators.

- linear_regression: none → LinearRegression, l1 → Lasso(alpha), l2 → Ridge(alpha),
  elastic_net → ElasticNet(alpha, l1_ratio).
- logistic_regression: C = 1 / alpha and l1_ratio 1 (l1), 0 (l2) or as given;
  no penalty is C = inf. The split seed also seeds stochastic solvers.
- poisson_regression: PoissonRegressor(alpha) with l2, alpha 0 without a penalty.

Engine torch builds the PyTorch estimators of the same objectives. A new model kind is a
case of ``build_estimator`` (and of ``solver_settings`` when its sweep computes paths).
"""

from __future__ import annotations

import math
from typing import Any, assert_never

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegressor

from api_schemas import (
    CNNSpec,
    JobCreate,
    LinearRegressionSpec,
    LogisticRegressionSpec,
    MLPSpec,
    PoissonRegressionSpec,
)
from api_schemas.kinds import MODELS, UNPENALIZED_SOLVERS, first_solver
from workers.data.splits import DataError
from workers.trainers.penalties import L2Penalty, Penalty, SolverSettings


def _optional(**params: Any) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def build_linear_regression(model: LinearRegressionSpec, penalty: Penalty | None) -> BaseEstimator:
    common = {"fit_intercept": model.fit_intercept}
    if penalty is None:
        return LinearRegression(**common)
    return penalty.linear_regression(**common, **_optional(max_iter=model.max_iter, tol=model.tol))


def build_logistic_regression(
    model: LogisticRegressionSpec, penalty: Penalty | None, n_classes: int, seed: int
) -> BaseEstimator:
    if penalty is None:
        strength = {"C": math.inf, "l1_ratio": 0.0}
        solver = first_solver(UNPENALIZED_SOLVERS, n_classes)
    else:
        strength, solver = penalty.logistic_params(), penalty.solver(n_classes)
    return LogisticRegression(
        **strength,
        solver=model.solver or solver,
        fit_intercept=model.fit_intercept,
        max_iter=model.max_iter or 100,
        tol=model.tol or 1e-4,
        random_state=seed,
    )


def build_poisson_regression(
    model: PoissonRegressionSpec, penalty: Penalty | None
) -> BaseEstimator:
    if penalty is not None and not isinstance(penalty, L2Penalty):
        raise ValueError(f"poisson_regression takes l2 only, not {penalty.kind}")
    alpha = 0.0 if penalty is None else penalty.alpha
    tuning = _optional(max_iter=model.max_iter, tol=model.tol)
    return PoissonRegressor(alpha=alpha, fit_intercept=model.fit_intercept, **tuning)


def build_estimator(spec: JobCreate, penalty: Penalty | None, n_classes: int) -> Any:
    """The unfitted estimator of ``spec``'s model with ``penalty`` (None: the baseline)."""
    device = spec.training.device if spec.training else "auto"
    match spec.model:
        case LinearRegressionSpec(engine="torch") as model:
            from workers.trainers.torch_linear import TorchLinearRegression

            return TorchLinearRegression(model, penalty, device)
        case LinearRegressionSpec() as model:
            return build_linear_regression(model, penalty)
        case LogisticRegressionSpec(engine="torch") as model:
            from workers.trainers.torch_logistic import TorchLogisticRegression

            return TorchLogisticRegression(model, penalty, device)
        case LogisticRegressionSpec() as model:
            return build_logistic_regression(model, penalty, n_classes, spec.split.seed)
        case PoissonRegressionSpec() as model:
            return build_poisson_regression(model, penalty)
        case MLPSpec() | CNNSpec():
            raise ValueError(f"a {spec.model.kind} is trained by NetworkTrainer")
        case _:
            assert_never(spec.model)


def solver_settings(spec: JobCreate) -> SolverSettings:
    """A path model's solver settings as a job fits it: the spec's, else scikit-learn's
    defaults for its estimator (and the split seed for stochastic solvers)."""
    match spec.model:
        case LinearRegressionSpec() as model:
            return SolverSettings(model.fit_intercept, model.tol or 1e-4, model.max_iter or 1000)
        case LogisticRegressionSpec() as model:
            return SolverSettings(
                model.fit_intercept, model.tol or 1e-4, model.max_iter or 100, spec.split.seed
            )
        case PoissonRegressionSpec() | MLPSpec() | CNNSpec():
            raise ValueError(f"a {spec.model.kind} sweep computes no path")
        case _:
            assert_never(spec.model)


def check_target(spec: JobCreate, y: np.ndarray) -> None:
    """Refuse a target the model cannot fit (a negative count)."""
    kind = spec.model.kind
    if MODELS[kind].nonnegative_target and len(y) and float(np.min(y)) < 0:
        raise DataError(f"{kind} needs a target that is never negative; its least is {np.min(y)}")
