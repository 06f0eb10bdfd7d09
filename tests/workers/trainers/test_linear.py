"""Each spec builds scikit-learn's own estimator with the same numbers."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
)

from api_schemas import JobCreate
from tests.factories import job_body
from tests.reference import article_data
from workers.data.datasets import load_dataset
from workers.data.splits import SplitData, split_dataset
from workers.jobs.metrics import fit_and_report
from workers.trainers.linear import build_estimator
from workers.trainers.penalties import penalty_of


def spec(**changes: Any) -> JobCreate:
    return JobCreate.model_validate(job_body(**changes))


@pytest.mark.parametrize(
    ("regularizers", "reference"),
    [
        ([], LinearRegression()),
        ([{"kind": "l1", "alpha": 0.2}], Lasso(alpha=0.2)),
        ([{"kind": "l2", "alpha": 1.0}], Ridge(alpha=1.0)),
        (
            [{"kind": "elastic_net", "alpha": 0.1, "l1_ratio": 0.3}],
            ElasticNet(alpha=0.1, l1_ratio=0.3),
        ),
    ],
)
def test_linear_regression_is_scikit_learns_estimator(
    regularizers: list[dict[str, Any]], reference: Any
) -> None:
    job = spec(regularizers=regularizers)
    estimator = build_estimator(job, penalty_of(job), n_classes=0)
    assert repr(estimator) == repr(reference)
    X, y = article_data()
    estimator.fit(X, y)
    reference.fit(X, y)
    assert_allclose(estimator.coef_, reference.coef_, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("regularizers", "reference"),
    [
        ([], PoissonRegressor(alpha=0.0)),
        ([{"kind": "l2", "alpha": 0.5}], PoissonRegressor(alpha=0.5)),
    ],
)
def test_poisson_regression_is_scikit_learns_estimator(
    regularizers: list[dict[str, Any]], reference: Any
) -> None:
    job = spec(
        dataset={"name": "diabetes"},
        model={"kind": "poisson_regression", "max_iter": 300},
        regularizers=regularizers,
    )
    estimator = build_estimator(job, penalty_of(job), n_classes=0)
    reference.set_params(max_iter=300)
    assert repr(estimator) == repr(reference)
    data = split_dataset(load_dataset(job.dataset, Path(".")), job)
    estimator.fit(data.X_train, data.y_train)
    reference.fit(data.X_train, data.y_train)
    assert_allclose(estimator.coef_, reference.coef_, rtol=0, atol=0)


def test_tuning_defaults_to_scikit_learns_and_can_be_set() -> None:
    job = spec(regularizers=[{"kind": "l1", "alpha": 0.5}])
    assert build_estimator(job, penalty_of(job), 0).get_params()["max_iter"] == 1000
    job = spec(
        model={"kind": "linear_regression", "max_iter": 50, "tol": 1e-6, "fit_intercept": False},
        regularizers=[{"kind": "l1", "alpha": 0.5}],
    )
    params = build_estimator(job, penalty_of(job), 0).get_params()
    assert (params["max_iter"], params["tol"], params["fit_intercept"]) == (50, 1e-6, False)


@pytest.mark.parametrize(
    ("regularizer", "n_classes", "expected"),
    [
        (None, 2, {"C": math.inf, "l1_ratio": 0.0, "solver": "lbfgs"}),
        ({"kind": "l2", "alpha": 4.0}, 3, {"C": 0.25, "l1_ratio": 0.0, "solver": "lbfgs"}),
        ({"kind": "l1", "alpha": 0.5}, 2, {"C": 2.0, "l1_ratio": 1.0, "solver": "liblinear"}),
        ({"kind": "l1", "alpha": 0.5}, 3, {"C": 2.0, "l1_ratio": 1.0, "solver": "saga"}),
        (
            {"kind": "elastic_net", "alpha": 0.1, "l1_ratio": 0.4},
            3,
            {"C": 10.0, "l1_ratio": 0.4, "solver": "saga"},
        ),
    ],
)
def test_logistic_strength_is_c_equal_one_over_alpha(
    regularizer: dict[str, Any] | None, n_classes: int, expected: dict[str, Any]
) -> None:
    job = spec(
        dataset={"name": "iris"},
        model={"kind": "logistic_regression"},
        regularizers=[regularizer] if regularizer else [],
    )
    params = build_estimator(job, penalty_of(job), n_classes).get_params()
    assert {k: params[k] for k in expected} == expected


def test_multiclass_logistic_reports_a_row_per_class_and_matches_scikit_learn() -> None:
    job = spec(
        dataset={"name": "iris"},
        model={"kind": "logistic_regression", "max_iter": 500},
        regularizers=[{"kind": "l2", "alpha": 2.0}],
        split={"test_fraction": 0.3, "seed": 1},
    )
    data = split_dataset(load_dataset(job.dataset, Path(".")), job)
    report = fit_and_report(build_estimator(job, penalty_of(job), 3), data)
    reference = LogisticRegression(C=0.5, max_iter=500, random_state=1)
    reference.fit(data.X_train, data.y_train)
    assert_allclose(report.coefficients.coef, reference.coef_, atol=1e-12)
    assert_allclose(report.coefficients.intercept, reference.intercept_, atol=1e-12)
    assert report.metrics.test is not None
    assert report.metrics.test.roc_auc is not None  # type: ignore[union-attr]


def test_convergence_warnings_reach_the_report() -> None:
    X, y = load_iris(return_X_y=True)
    data = SplitData(X, y, None, None, [f"x{i}" for i in range(4)])
    report = fit_and_report(LogisticRegression(max_iter=1), data)
    assert any("converge" in w for w in report.warnings)


def test_lasso_zeros_are_counted() -> None:
    job = spec(dataset={"name": "sparse_regression"}, regularizers=[{"kind": "l1", "alpha": 5.0}])
    data = split_dataset(load_dataset(job.dataset, Path(".")), job)
    report = fit_and_report(build_estimator(job, penalty_of(job), 0), data)
    coef = np.asarray(report.coefficients.coef)
    assert 0 < report.coefficients.n_nonzero == np.count_nonzero(coef) < coef.size
