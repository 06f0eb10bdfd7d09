"""engine torch solves scikit-learn's objectives: the same coefficients, to a stated
tolerance (1e-9 on the article's data, 1e-4 relative elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_diabetes
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
)

from api_schemas import JobCreate
from tests.reference import article_data
from workers.data.datasets import load_dataset
from workers.jobs.train import train


def torch_fit(dataset: str, regularizers: list[dict[str, Any]], **model: Any) -> Any:
    spec = JobCreate.model_validate(
        {
            "dataset": {"name": dataset},
            "model": {"kind": "linear_regression", "engine": "torch", **model},
            "regularizers": regularizers,
            "split": {"test_fraction": 0.0},
        }
    )
    return train(spec, Path()).summary


@pytest.mark.parametrize(
    ("regularizers", "reference"),
    [
        ([{"kind": "l1", "alpha": 0.2}], Lasso(alpha=0.2)),
        ([{"kind": "l2", "alpha": 1.0}], Ridge(alpha=1.0)),
        ([], LinearRegression()),
    ],
)
def test_the_articles_fits_agree_with_scikit_learn(regularizers: list[Any], reference: Any) -> None:
    X, y = article_data()
    reference.fit(X, y)
    summary = torch_fit("seed_linear", regularizers)
    assert summary.estimator.startswith("TorchLinearRegression")
    assert_allclose(summary.coefficients.coef, reference.coef_, atol=1e-9)
    assert_allclose(summary.coefficients.intercept, reference.intercept_, atol=1e-9)


@pytest.mark.parametrize(
    ("regularizer", "reference"),
    [
        ({"kind": "l1", "alpha": 0.01}, Lasso(alpha=0.01, tol=1e-10, max_iter=100_000)),
        (
            {"kind": "elastic_net", "alpha": 0.001, "l1_ratio": 0.5},
            ElasticNet(alpha=0.001, l1_ratio=0.5, tol=1e-10, max_iter=100_000),
        ),
    ],
)
def test_sparse_fits_on_real_data_agree_to_1e_4(
    regularizer: dict[str, Any], reference: Any
) -> None:
    X, y = load_diabetes(return_X_y=True)
    reference.fit(X, y)
    coef = np.asarray(torch_fit("diabetes", [regularizer]).coefficients.coef)
    assert np.linalg.norm(coef - reference.coef_) / np.linalg.norm(reference.coef_) < 1e-4
    assert np.array_equal(coef == 0, reference.coef_ == 0)  # the same features dropped


def test_a_short_iteration_budget_says_it_did_not_converge() -> None:
    summary = torch_fit("diabetes", [{"kind": "l1", "alpha": 0.01}], max_iter=3)
    assert any("did not converge" in w for w in summary.warnings)


def torch_and_scikit_learn_logistic(
    params: dict[str, int], regularizer: dict[str, Any], reference: dict[str, Any], **model: Any
) -> tuple[Any, LogisticRegression]:
    """engine torch's summary and scikit-learn's fit of the same logistic regression."""
    body = {
        "dataset": {"name": "classification", "params": params},
        "model": {"kind": "logistic_regression", "engine": "torch", **model},
        "regularizers": [regularizer],
        "split": {"test_fraction": 0.0},
        "baseline": False,
    }
    spec = JobCreate.model_validate(body)
    summary = train(spec, Path()).summary
    data = load_dataset(spec.dataset, Path())
    solver = {"solver": "saga"} | reference | model
    fitted = LogisticRegression(**solver, tol=1e-12, max_iter=100_000).fit(data.X, data.y)
    coef = np.asarray(summary.coefficients.coef).reshape(fitted.coef_.shape)
    assert np.linalg.norm(coef - fitted.coef_) / np.linalg.norm(fitted.coef_) < 1e-4
    return summary, fitted


@pytest.mark.parametrize(
    ("params", "regularizer", "reference"),
    [
        ({"n_classes": 2}, {"kind": "l2", "alpha": 1.0}, {"C": 1.0, "solver": "lbfgs"}),
        ({"n_classes": 2}, {"kind": "l1", "alpha": 1.0}, {"C": 1.0, "l1_ratio": 1.0}),
        ({"n_classes": 3}, {"kind": "l2", "alpha": 2.0}, {"C": 0.5, "solver": "lbfgs"}),
        (
            {"n_classes": 3},
            {"kind": "elastic_net", "alpha": 2.0, "l1_ratio": 0.5},
            {"C": 0.5, "l1_ratio": 0.5},
        ),
    ],
)
def test_logistic_regression_agrees_with_scikit_learn(
    params: dict[str, int], regularizer: dict[str, Any], reference: dict[str, Any]
) -> None:
    summary, fitted = torch_and_scikit_learn_logistic(params, regularizer, reference)
    assert_allclose(np.ravel(summary.coefficients.intercept), fitted.intercept_, atol=1e-4)
    assert summary.metrics.train.accuracy > 0.7


@pytest.mark.parametrize(
    ("regularizer", "reference"),
    [
        ({"kind": "l2", "alpha": 1.0}, {"C": 1.0, "solver": "lbfgs"}),
        ({"kind": "l1", "alpha": 1.0}, {"C": 1.0, "l1_ratio": 1.0}),
        ({"kind": "elastic_net", "alpha": 1.0, "l1_ratio": 0.5}, {"C": 1.0, "l1_ratio": 0.5}),
    ],
)
def test_logistic_regression_without_an_intercept_agrees_with_scikit_learn(
    regularizer: dict[str, Any], reference: dict[str, Any]
) -> None:
    """No intercept means no bias in the graph: the fit must not ask autograd for it."""
    params = {"n_samples": 120}
    summary, _ = torch_and_scikit_learn_logistic(
        params, regularizer, reference, fit_intercept=False
    )
    assert_allclose(np.ravel(summary.coefficients.intercept), 0.0)
