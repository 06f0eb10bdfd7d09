"""Cross-validated regularization paths for linear regression, one fold at a time.

A fold computes the whole path at once (warm starts along decreasing alpha with
scikit-learn's ``enet_path``; one SVD for every Ridge alpha), so a sweep is one task
per fold, not one per value. ``aggregate`` turns the folds into the CV curve, the
best alpha (lowest mean held-out MSE, as LassoCV / ElasticNetCV / RidgeCV choose) and
the one-standard-error choice (the strongest alpha whose mean MSE is within one
standard error of the best).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import enet_path


@dataclass(frozen=True)
class FoldPath:
    alphas: np.ndarray  # descending
    test_mse: np.ndarray  # one per alpha
    train_mse: np.ndarray
    n_nonzero: np.ndarray


@dataclass(frozen=True)
class CVCurve:
    alphas: np.ndarray
    mean_mse: np.ndarray
    std_mse: np.ndarray
    per_fold_mse: np.ndarray  # folds x alphas
    mean_train_mse: np.ndarray
    best: float
    best_1se: float


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
    penalty: str,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    alphas: np.ndarray,
    *,
    l1_ratio: float = 1.0,
    fit_intercept: bool = True,
    tol: float = 1e-4,
    max_iter: int = 1000,
) -> FoldPath:
    """The path on one fold's training rows (X, y), scored on its held-out rows."""
    (X_train, y_train), (X_test, y_test) = train, test
    alphas = descending(alphas)
    coefs, intercepts = path_coefficients(
        penalty,
        X_train,
        y_train,
        alphas,
        l1_ratio=l1_ratio,
        fit_intercept=fit_intercept,
        tol=tol,
        max_iter=max_iter,
    )
    test_pred = X_test @ coefs + intercepts
    train_pred = X_train @ coefs + intercepts
    return FoldPath(
        alphas=alphas,
        test_mse=((test_pred - y_test[:, None]) ** 2).mean(axis=0),
        train_mse=((train_pred - y_train[:, None]) ** 2).mean(axis=0),
        n_nonzero=np.count_nonzero(coefs, axis=0),
    )


def path_coefficients(
    penalty: str,
    X: np.ndarray,
    y: np.ndarray,
    alphas: np.ndarray,
    *,
    l1_ratio: float = 1.0,
    fit_intercept: bool = True,
    tol: float = 1e-4,
    max_iter: int = 1000,
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (features x alphas) and intercepts along the (descending) path."""
    Xc, yc, x_mean, y_mean = _centre(X, y, fit_intercept)
    if penalty == "l2":
        coefs = _ridge_path(Xc, yc, alphas)
    else:
        ratio = 1.0 if penalty == "l1" else l1_ratio
        _, coefs, _ = enet_path(
            Xc, yc, l1_ratio=ratio, alphas=alphas, tol=tol, max_iter=max_iter, precompute="auto"
        )
    return coefs, y_mean - x_mean @ coefs


def _ridge_path(X: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """Ridge coefficients for every alpha from one SVD: V diag(s / (s^2 + alpha)) U^T y."""
    u, s, vt = np.linalg.svd(X, full_matrices=False)
    uty = u.T @ y
    factors = s[:, None] / (s[:, None] ** 2 + alphas[None, :])
    coefs: np.ndarray = vt.T @ (factors * uty[:, None])
    return coefs


def aggregate(folds: list[FoldPath]) -> CVCurve:
    alphas = folds[0].alphas
    per_fold = np.vstack([fold.test_mse for fold in folds])
    mean, std = per_fold.mean(axis=0), per_fold.std(axis=0)
    best = int(np.argmin(mean))
    standard_error = std[best] / np.sqrt(len(folds))
    # alphas descend: the first within one standard error is the strongest.
    within = np.flatnonzero(mean <= mean[best] + standard_error)
    return CVCurve(
        alphas=alphas,
        mean_mse=mean,
        std_mse=std,
        per_fold_mse=per_fold,
        mean_train_mse=np.vstack([fold.train_mse for fold in folds]).mean(axis=0),
        best=float(alphas[best]),
        best_1se=float(alphas[within[0]]),
    )
