"""Linear and logistic regression with l1 / l2 / elastic_net, as scikit-learn fits them.

The spec maps onto scikit-learn's own estimators, so the same numbers give the
same fit as Lasso, Ridge, ElasticNet, LinearRegression and LogisticRegression:

- linear_regression: none → LinearRegression, l1 → Lasso(alpha), l2 → Ridge(alpha),
  elastic_net → ElasticNet(alpha, l1_ratio).
- logistic_regression: C = 1 / alpha and l1_ratio 1 (l1), 0 (l2) or as given;
  no penalty is C = inf. The split seed also seeds stochastic solvers.
"""

from __future__ import annotations

import math
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge

from api_schemas import (
    L1,
    L2,
    JobCreate,
    LinearRegressionSpec,
    LogisticRegressionSpec,
)
from api_schemas import (
    ElasticNet as ElasticNetSpec,
)

Penalty = L1 | L2 | ElasticNetSpec


def penalty_of(spec: JobCreate) -> Penalty | None:
    """The job's weight penalty; validation allows at most one."""
    for regularizer in spec.regularizers:
        if isinstance(regularizer, L1 | L2 | ElasticNetSpec):
            return regularizer
    return None


def _optional(**params: Any) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def build_linear_regression(model: LinearRegressionSpec, penalty: Penalty | None) -> BaseEstimator:
    common = {"fit_intercept": model.fit_intercept}
    tuning = _optional(max_iter=model.max_iter, tol=model.tol)
    match penalty:
        case None:
            return LinearRegression(**common)
        case L1(alpha=alpha):
            return Lasso(alpha=alpha, **common, **tuning)
        case L2(alpha=alpha):
            return Ridge(alpha=alpha, **common, **tuning)
        case ElasticNetSpec(alpha=alpha, l1_ratio=l1_ratio):
            return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, **common, **tuning)
    raise AssertionError(f"unhandled penalty {penalty!r}")


def default_solver(penalty: Penalty | None, n_classes: int) -> str:
    match penalty:
        case None | L2():
            return "lbfgs"
        case L1() if n_classes == 2:
            return "liblinear"
        case _:
            return "saga"


def build_logistic_regression(
    model: LogisticRegressionSpec, penalty: Penalty | None, n_classes: int, seed: int
) -> BaseEstimator:
    match penalty:
        case None:
            C, l1_ratio = math.inf, 0.0
        case L1(alpha=alpha):
            C, l1_ratio = 1.0 / alpha, 1.0
        case L2(alpha=alpha):
            C, l1_ratio = 1.0 / alpha, 0.0
        case ElasticNetSpec(alpha=alpha, l1_ratio=ratio):
            C, l1_ratio = 1.0 / alpha, ratio
    return LogisticRegression(
        C=C,
        l1_ratio=l1_ratio,
        solver=model.solver or default_solver(penalty, n_classes),
        fit_intercept=model.fit_intercept,
        max_iter=model.max_iter or 100,
        tol=model.tol or 1e-4,
        random_state=seed,
    )


def build_estimator(spec: JobCreate, penalty: Penalty | None, n_classes: int) -> Any:
    match spec.model:
        case LinearRegressionSpec(engine="torch") as model:
            from workers.trainers.torch_linear import TorchLinearRegression

            device = spec.training.device if spec.training else "auto"
            return TorchLinearRegression(model, penalty, device)
        case LinearRegressionSpec() as model:
            return build_linear_regression(model, penalty)
        case LogisticRegressionSpec(engine="torch") as model:
            from workers.trainers.torch_logistic import TorchLogisticRegression

            device = spec.training.device if spec.training else "auto"
            return TorchLogisticRegression(model, penalty, device)
        case LogisticRegressionSpec() as model:
            return build_logistic_regression(model, penalty, n_classes, spec.split.seed)
    raise AssertionError(f"unhandled model {spec.model!r}")
