"""Cross-validated paths agree with scikit-learn's CV estimators on the same folds and grid."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNetCV, LassoCV, RidgeCV
from sklearn.model_selection import KFold

from workers.sweeps.paths import FoldPath, aggregate, fold_path
from workers.trainers.penalties import (
    ElasticNetPenalty,
    L1Penalty,
    L2Penalty,
    Penalty,
    SolverSettings,
)

X, y = load_diabetes(return_X_y=True)
FOLDS = KFold(5, shuffle=True, random_state=0)


def cv_curve(penalty: Penalty, alphas: np.ndarray) -> object:
    """The penalty's own alpha is ignored along the path."""
    return aggregate(
        [fold_path(penalty, (X[tr], y[tr]), (X[te], y[te]), alphas) for tr, te in FOLDS.split(X)]
    )


def test_lasso_path_equals_lasso_cv() -> None:
    alphas = np.logspace(-4, 1, 30)
    curve = cv_curve(L1Penalty(1.0), alphas)
    reference = LassoCV(alphas=alphas, cv=FOLDS).fit(X, y)
    assert curve.best == reference.alpha_  # type: ignore[attr-defined]
    assert np.allclose(curve.alphas, reference.alphas_)  # type: ignore[attr-defined]
    assert np.allclose(curve.per_fold.T, reference.mse_path_, rtol=1e-6)  # type: ignore[attr-defined]


def test_elastic_net_path_equals_elastic_net_cv() -> None:
    alphas = np.logspace(-4, 1, 20)
    curve = cv_curve(ElasticNetPenalty(1.0, l1_ratio=0.5), alphas)
    reference = ElasticNetCV(alphas=alphas, l1_ratio=0.5, cv=FOLDS).fit(X, y)
    assert curve.best == reference.alpha_  # type: ignore[attr-defined]
    assert np.allclose(curve.per_fold.T, reference.mse_path_, rtol=1e-6)  # type: ignore[attr-defined]


def test_ridge_path_from_one_svd_equals_ridge_cv() -> None:
    alphas = np.logspace(-3, 3, 25)
    curve = cv_curve(L2Penalty(1.0), alphas)
    reference = RidgeCV(alphas=alphas, cv=FOLDS, scoring="neg_mean_squared_error").fit(X, y)
    assert curve.best == pytest.approx(reference.alpha_)  # type: ignore[attr-defined]


def test_best_1se_is_the_strongest_alpha_within_one_standard_error() -> None:
    alphas = np.array([10.0, 1.0, 0.1, 0.01])  # descending
    # Fold MSEs: best mean at 0.1 (mean 1.0, std 0.2, se 0.1); alpha 1.0 has mean 1.08
    # (within 1.1); alpha 10 has mean 2.0 (not).
    folds = [
        FoldPath(alphas, np.array([2.0, 1.08 + d, 1.0 + d, 1.5]), np.zeros(4), np.zeros(4))
        for d in (-0.2, 0.2, -0.2, 0.2)
    ]
    curve = aggregate(folds)
    assert curve.best == 0.1  # type: ignore[attr-defined]
    assert curve.best_1se == 1.0  # type: ignore[attr-defined]


def test_l1_logistic_path_equals_logistic_regression_cv() -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    from workers.sweeps.paths import logistic_fold_path

    Xb, yb = load_breast_cancer(return_X_y=True)
    alphas = np.logspace(-2, 2, 12)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    fit = SolverSettings(fit_intercept=True, tol=1e-4, max_iter=100, seed=0)
    curve = aggregate(
        [
            logistic_fold_path(L1Penalty(1.0), (Xb[tr], yb[tr]), (Xb[te], yb[te]), alphas, fit)
            for tr, te in folds.split(Xb, yb)
        ],
        higher_is_better=True,
    )
    reference = LogisticRegressionCV(
        Cs=list(1 / curve.alphas),  # ascending C: the same order as descending alpha
        cv=folds,
        l1_ratios=[1.0],
        solver="liblinear",
        random_state=0,
        scoring="accuracy",
        use_legacy_attributes=True,
    ).fit(Xb, yb)
    scores = reference.scores_[1][:, :, 0]  # folds x Cs
    assert np.allclose(curve.per_fold, scores, atol=1e-12)  # type: ignore[attr-defined]
    assert 1 / curve.best == pytest.approx(reference.C_[0])  # type: ignore[attr-defined]
