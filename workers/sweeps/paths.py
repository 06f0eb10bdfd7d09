"""Cross-validated regularization paths, one fold at a time.

A fold computes the whole path at once (warm starts along decreasing alpha with
scikit-learn's ``enet_path``, one SVD for every Ridge alpha: each penalty's
``regression_path``), so a sweep is one trial per fold, not one per value. ``aggregate``
turns the folds into the CV curve, the best alpha (lowest mean held-out MSE, as LassoCV /
ElasticNetCV / RidgeCV choose) and the one-standard-error choice (the strongest alpha
whose mean MSE is within one standard error of the best).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

from workers.trainers.penalties import Penalty, SolverSettings

Rows = tuple[np.ndarray, np.ndarray]
#: scikit-learn's defaults for Lasso, Ridge and ElasticNet.
DEFAULT_SETTINGS = SolverSettings()


@dataclass(frozen=True)
class FoldPath:
    """One fold's scores along the path: MSE (regression) or accuracy (classification)."""

    alphas: np.ndarray  # descending
    test_score: np.ndarray  # one per alpha
    train_score: np.ndarray
    n_nonzero: np.ndarray


@dataclass(frozen=True)
class CVCurve:
    alphas: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    per_fold: np.ndarray  # folds x alphas
    train_per_fold: np.ndarray  # folds x alphas: each fold's score on its training rows
    best: float
    best_1se: float

    @property
    def mean_train(self) -> np.ndarray:
        mean: np.ndarray = self.train_per_fold.mean(axis=0)
        return mean


def descending(alphas: np.ndarray) -> np.ndarray:
    return np.sort(np.asarray(alphas, dtype=float))[::-1]


def _centre(
    X: np.ndarray, y: np.ndarray, fit_intercept: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    if not fit_intercept:
        return X, y, np.zeros(X.shape[1]), 0.0
    x_mean, y_mean = X.mean(axis=0), float(y.mean())
    return X - x_mean, y - y_mean, x_mean, y_mean


def fold_path(
    penalty: Penalty,
    train: Rows,
    test: Rows,
    alphas: np.ndarray,
    settings: SolverSettings = DEFAULT_SETTINGS,
) -> FoldPath:
    """Least squares' path with ``penalty`` on one fold's training rows (X, y), scored
    (MSE) on its held-out rows."""
    (X_train, y_train), (X_test, y_test) = train, test
    alphas = descending(alphas)
    coefs, intercepts = path_coefficients(penalty, X_train, y_train, alphas, settings)
    test_pred = X_test @ coefs + intercepts
    train_pred = X_train @ coefs + intercepts
    return FoldPath(
        alphas=alphas,
        test_score=((test_pred - y_test[:, None]) ** 2).mean(axis=0),
        train_score=((train_pred - y_train[:, None]) ** 2).mean(axis=0),
        n_nonzero=np.count_nonzero(coefs, axis=0),
    )


def logistic_fits(
    penalty: Penalty, X: np.ndarray, y: np.ndarray, alphas: np.ndarray, settings: SolverSettings
) -> list[LogisticRegression]:
    """LogisticRegression at C = 1/alpha for each alpha, with the solver the folds used."""
    solver = penalty.solver(len(np.unique(y)), path=True)
    return [
        LogisticRegression(
            C=1 / alpha,
            l1_ratio=penalty.l1_ratio,
            solver=solver,
            fit_intercept=settings.fit_intercept,
            tol=settings.tol,
            max_iter=settings.max_iter,
            random_state=settings.seed,
        ).fit(X, y)
        for alpha in alphas
    ]


def logistic_fold_path(
    penalty: Penalty, train: Rows, test: Rows, alphas: np.ndarray, settings: SolverSettings
) -> FoldPath:
    """Accuracy along the path on one fold: LogisticRegressionCV itself, given this fold
    alone, so the scores are exactly its (liblinear stops at max_iter, and how it gets
    there depends on details a re-implementation would not share)."""
    (X_train, y_train), (X_test, y_test) = train, test
    X, y = np.vstack([X_train, X_test]), np.concatenate([y_train, y_test])
    rows = (np.arange(len(y_train)), np.arange(len(y_train), len(y)))
    alphas = descending(alphas)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes; the job's fit reports them
        fitted = LogisticRegressionCV(
            Cs=list(1 / alphas),  # ascending C: the order of descending alpha
            cv=[rows],
            l1_ratios=[penalty.l1_ratio],
            solver=penalty.solver(len(np.unique(y)), path=True),
            fit_intercept=settings.fit_intercept,
            tol=settings.tol,
            max_iter=settings.max_iter,
            random_state=settings.seed,
            scoring="accuracy",
            refit=False,
            use_legacy_attributes=True,
        ).fit(X, y)
    classes = fitted.classes_
    # One (Cs x features [+ intercept]) block per class; a binary fit has the positive's.
    blocks = [
        fitted.coefs_paths_[c][0, :, 0, :] for c in (classes[1:] if len(classes) == 2 else classes)
    ]
    paths = np.stack(blocks)  # classes x Cs x (features [+ intercept])
    n_features = X.shape[1]
    coefs = paths[:, :, :n_features]
    intercepts = paths[:, :, n_features] if settings.fit_intercept else np.zeros(paths.shape[:2])
    logits = np.einsum("nf,kcf->nck", X_train, coefs) + intercepts.T[None, :, :]
    if len(classes) == 2:
        predicted = classes[(logits[:, :, 0] > 0).astype(int)]
    else:
        predicted = classes[np.argmax(logits, axis=2)]
    return FoldPath(
        alphas=alphas,
        test_score=fitted.scores_[classes[-1]][0, :, 0],
        train_score=(predicted == y_train[:, None]).mean(axis=0),
        n_nonzero=np.count_nonzero(coefs, axis=(0, 2)),
    )


def path_coefficients(
    penalty: Penalty,
    X: np.ndarray,
    y: np.ndarray,
    alphas: np.ndarray,
    settings: SolverSettings = DEFAULT_SETTINGS,
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (features x alphas) and intercepts along the (descending) path."""
    Xc, yc, x_mean, y_mean = _centre(X, y, settings.fit_intercept)
    coefs = penalty.regression_path(Xc, yc, alphas, settings)
    return coefs, y_mean - x_mean @ coefs


def aggregate(folds: list[FoldPath], higher_is_better: bool = False) -> CVCurve:
    """The best alpha is the first (strongest) with the best mean score, as scikit-learn's
    CV estimators choose; best_1se the strongest within one standard error of it."""
    alphas = folds[0].alphas
    per_fold = np.vstack([fold.test_score for fold in folds])
    train = np.vstack([fold.train_score for fold in folds])
    mean, std = per_fold.mean(axis=0), per_fold.std(axis=0)
    best = int(np.argmax(mean) if higher_is_better else np.argmin(mean))
    standard_error = std[best] / np.sqrt(len(folds))
    if higher_is_better:
        within = np.flatnonzero(mean >= mean[best] - standard_error)
    else:
        within = np.flatnonzero(mean <= mean[best] + standard_error)
    return CVCurve(
        alphas=alphas,
        mean=mean,
        std=std,
        per_fold=per_fold,
        train_per_fold=train,
        best=float(alphas[best]),
        best_1se=float(alphas[within[0]]),
    )


def best_curve(curves: list[CVCurve], higher_is_better: bool = False) -> int:
    """The index of the curve (an l1_ratio's) with the best best mean score; the first on
    ties, as ElasticNetCV takes a later ratio only when it is strictly better."""
    best = 0
    for index, curve in enumerate(curves):
        score, incumbent = curve.mean.max(), curves[best].mean.max()
        if not higher_is_better:
            score, incumbent = -curve.mean.min(), -curves[best].mean.min()
        if score > incumbent:
            best = index
    return best
