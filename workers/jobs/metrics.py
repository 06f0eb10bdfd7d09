"""Metrics, coefficient summaries and the fit report of a fitted estimator."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
from sklearn import metrics as sk_metrics

from api_schemas import ClassificationMetrics, Coefficients, FitReport, Metrics, RegressionMetrics
from workers.data.splits import SplitData


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> RegressionMetrics:
    return RegressionMetrics(
        r2=float(sk_metrics.r2_score(y_true, y_pred)) if len(y_true) >= 2 else None,
        mse=float(sk_metrics.mean_squared_error(y_true, y_pred)),
        mae=float(sk_metrics.mean_absolute_error(y_true, y_pred)),
    )


def classification_metrics(
    y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray
) -> ClassificationMetrics:
    y_pred = classes[np.argmax(proba, axis=1)]
    binary = len(classes) == 2
    present = set(np.unique(y_true).tolist())
    roc_auc: float | None = None
    if present == set(classes.tolist()):
        roc_auc = float(
            sk_metrics.roc_auc_score(y_true, proba[:, 1])
            if binary
            else sk_metrics.roc_auc_score(y_true, proba, multi_class="ovr", labels=classes)
        )
    f1 = (
        sk_metrics.f1_score(y_true, y_pred, pos_label=classes[1])
        if binary
        else sk_metrics.f1_score(y_true, y_pred, average="macro", labels=classes)
    )
    return ClassificationMetrics(
        accuracy=float(sk_metrics.accuracy_score(y_true, y_pred)),
        log_loss=float(sk_metrics.log_loss(y_true, proba, labels=classes)),
        f1=float(f1),
        roc_auc=roc_auc,
    )


def coefficients(estimator: Any, feature_names: list[str]) -> Coefficients:
    coef = np.asarray(estimator.coef_, dtype=float)
    intercept = np.atleast_1d(np.asarray(estimator.intercept_, dtype=float))
    if coef.ndim == 2 and coef.shape[0] == 1:  # binary logistic regression
        coef = coef[0]
    return Coefficients(
        intercept=float(intercept[0]) if coef.ndim == 1 else intercept.tolist(),
        coef=coef.tolist(),
        feature_names=feature_names,
        n_nonzero=int(np.count_nonzero(coef)),
    )


def fit_and_report(estimator: Any, data: SplitData) -> FitReport:
    """Fit ``estimator`` on the training rows and report metrics on both splits."""
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(data.X_train, data.y_train)
    seconds = time.perf_counter() - started
    notes = list(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))

    def score(X: np.ndarray, y: np.ndarray) -> Any:
        if hasattr(estimator, "predict_proba"):
            return classification_metrics(y, estimator.predict_proba(X), estimator.classes_)
        return regression_metrics(y, estimator.predict(X))

    test = None
    if data.X_test is not None and data.y_test is not None:
        test = score(data.X_test, data.y_test)
    return FitReport(
        estimator=repr(estimator),
        metrics=Metrics(train=score(data.X_train, data.y_train), test=test),
        coefficients=coefficients(estimator, data.feature_names)
        if hasattr(estimator, "coef_")
        else None,
        fit_seconds=seconds,
        warnings=notes,
    )
