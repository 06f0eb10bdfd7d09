"""The end of a sweep or comparison: once every trial has ended, one process turns the
trials' results into the result (curves, choices, path, figures). No data is read again."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from api_schemas.comparisons import ComparisonCreate
from api_schemas.sweeps import (
    SWEEP_SPEC,
    CoefficientPath,
    CVScores,
    L1RatioCurve,
    SweepCreate,
    SweepResult,
)
from service.artifacts import ArtifactStore
from service.sweeps.store import SweepStore
from workers.figures.sweeps import (
    render_coefficient_path,
    render_nonzero,
    render_validation_curve,
)
from workers.files import store_files
from workers.sweeps.comparisons import aggregate_comparison
from workers.sweeps.linear_paths import base_penalty, classifies
from workers.sweeps.paths import CVCurve, aggregate, best_curve
from workers.sweeps.results import (
    TRIAL_RESULTS,
    ComparisonFoldResult,
    FullPathResult,
    L1RatioPathsResult,
    PathFoldResult,
    TrialResult,
    ValueFoldResult,
    of_kind,
    stored_result,
)

log = logging.getLogger(__name__)


def finish_sweep(
    sweeps: SweepStore,
    artifacts: ArtifactStore,
    sweep_id: str,
    stale_before: datetime | None = None,
) -> str | None:
    """Aggregate a sweep whose trials have all ended; None when it is not time (or another
    process is at it). Returns the sweep's final status. A sweep whose aggregation raises
    fails with the error, rather than being retried for ever."""
    # Counted first: every trial ends here, and reading the trials' results (the path on
    # every row is megabytes) is only worth it once, for the aggregation.
    counts = sweeps.progress([sweep_id])[sweep_id]
    if counts["queued"] or counts["running"]:
        return None
    if not sweeps.begin_aggregation(sweep_id, stale_before):
        return None
    trials = sweeps.trials(sweep_id)
    row = sweeps.get(sweep_id)
    assert row is not None
    if any(job.status == "cancelled" for job in trials):
        sweeps.finish(sweep_id, "cancelled")
        return "cancelled"
    failed = [job for job in trials if job.status == "failed"]
    if failed:
        first = failed[0]
        sweeps.finish(
            sweep_id,
            "failed",
            error_code=first.error_code,
            error_message=f"trial {first.trial}: {first.error_message}",
        )
        return "failed"
    results = [job.result or {} for job in trials]
    try:
        result = _aggregate(SWEEP_SPEC.validate_python(row.spec), sweep_id, results, artifacts)
    except Exception as exc:
        log.exception("aggregating sweep %s failed", sweep_id)
        message = f"aggregation: {type(exc).__name__}: {exc}"
        sweeps.finish(sweep_id, "failed", error_code="internal_error", error_message=message)
        return "failed"
    sweeps.finish(sweep_id, "succeeded", result=result)
    log.info("%s %s succeeded", row.kind, sweep_id)
    return "succeeded"


def _aggregate(
    spec: SweepCreate | ComparisonCreate,
    sweep_id: str,
    results: list[dict[str, Any]],
    artifacts: ArtifactStore,
) -> dict[str, Any]:
    """The result from the trials' results alone: no data is read again."""
    trials = TRIAL_RESULTS.validate_python(results)
    if isinstance(spec, ComparisonCreate):
        return aggregate_comparison(
            spec, sweep_id, of_kind(trials, ComparisonFoldResult), artifacts
        )
    if not spec.computes_path:  # a network or an estimator fitted value by value
        return aggregate_networks(spec, sweep_id, of_kind(trials, ValueFoldResult), artifacts)
    folds, (full,) = trials[: spec.cv.folds], of_kind(trials[spec.cv.folds :], FullPathResult)
    return aggregate_result(spec, sweep_id, folds, full, artifacts)


def _curve(
    fold_results: Sequence[PathFoldResult | ValueFoldResult], higher_is_better: bool
) -> CVCurve:
    return aggregate([r.fold_path() for r in fold_results], higher_is_better=higher_is_better)


def _curve_fields(curve: CVCurve, parameter: str, metric: str) -> dict[str, Any]:
    """The parts of a SweepResult that every kind of sweep has."""
    return {
        "parameter": parameter,
        "values": curve.alphas.tolist(),
        "metric": metric,
        "cv": _scores(curve.per_fold),
        "train_mean": curve.mean_train.tolist(),
        "train": _scores(curve.train_per_fold),
        "best": {parameter: curve.best},
        "best_1se": {parameter: curve.best_1se},
    }


def _scores(per_fold: np.ndarray) -> CVScores:
    """Mean, std and each fold's scores (folds x values)."""
    return CVScores(
        mean=per_fold.mean(axis=0).tolist(),
        std=per_fold.std(axis=0).tolist(),
        per_fold=per_fold.tolist(),
    )


def aggregate_networks(
    spec: SweepCreate,
    sweep_id: str,
    fold_results: list[ValueFoldResult],
    artifacts: ArtifactStore,
) -> dict[str, Any]:
    """CV score per dropout rate or alpha, the best value and the strongest within 1 SE."""
    parameter = spec.parameter
    classification = fold_results[0].task == "classification"
    curve = _curve(fold_results, higher_is_better=classification)
    metric = "accuracy" if classification else "mse"
    figure = render_validation_curve(curve, metric, parameter=parameter)
    result = SweepResult(
        sweep_id=sweep_id, **_curve_fields(curve, parameter, metric), path=None, artifacts=[]
    )
    return stored_result(result, store_files(artifacts, f"sweeps/{sweep_id}", [figure]))


def _by_l1_ratio(
    spec: SweepCreate, fold_results: list[TrialResult], classification: bool
) -> tuple[CVCurve, float, list[L1RatioCurve] | None]:
    """The curve to report, its l1_ratio, and (with an l1_ratio grid) every ratio's curve;
    the best ratio is the one whose best mean CV score is best, the first on ties, as
    ElasticNetCV picks it."""
    ratios = spec.l1_ratios
    if ratios is None:
        folds = of_kind(fold_results, PathFoldResult)
        return _curve(folds, classification), base_penalty(spec.base).l1_ratio, None
    by_fold = of_kind(fold_results, L1RatioPathsResult)
    curves = [_curve([r.paths[i] for r in by_fold], classification) for i in range(len(ratios))]
    best = best_curve(curves, higher_is_better=classification)
    by_ratio = [
        L1RatioCurve(
            l1_ratio=ratio,
            cv=_scores(curve.per_fold),
            train_mean=curve.mean_train.tolist(),
            train=_scores(curve.train_per_fold),
            best_alpha=curve.best,
        )
        for ratio, curve in zip(ratios, curves, strict=True)
    ]
    return curves[best], ratios[best], by_ratio


def aggregate_result(
    spec: SweepCreate,
    sweep_id: str,
    fold_results: list[TrialResult],
    full: FullPathResult,
    artifacts: ArtifactStore,
) -> dict[str, Any]:
    """The CV curve (of the best l1_ratio), the choices, the chosen ratio's path on every
    row, and the figures."""
    classification = classifies(spec.base)
    curve, l1_ratio, by_ratio = _by_l1_ratio(spec, fold_results, classification)
    alphas = np.asarray(full.alphas)
    names = full.feature_names
    path = full.at(l1_ratio)
    coefs = np.asarray(path.coef).T  # features x alphas
    intercepts = np.asarray(path.intercept)
    n_nonzero = np.count_nonzero(coefs, axis=0)
    metric = "accuracy" if classification else "mse"
    others = {
        f"l1_ratio={c.l1_ratio:g}": np.asarray(c.cv.mean)
        for c in by_ratio or []
        if c.l1_ratio != l1_ratio
    }
    label = f", l1_ratio={l1_ratio:g}" if by_ratio is not None else ""
    files = [
        render_coefficient_path(alphas, coefs, names, curve.best, curve.best_1se),
        render_validation_curve(curve, metric, others=others, label=label),
        render_nonzero(alphas, n_nonzero, curve.best, curve.best_1se),
    ]
    fields = _curve_fields(curve, "alpha", metric)
    if by_ratio is not None:
        fields["best"]["l1_ratio"] = l1_ratio
        fields["best_1se"]["l1_ratio"] = l1_ratio
    result = SweepResult(
        sweep_id=sweep_id,
        **fields,
        path=CoefficientPath(
            feature_names=names,
            coef=coefs.T.tolist(),
            intercept=np.atleast_1d(intercepts).tolist(),
            n_nonzero=n_nonzero.tolist(),
        ),
        by_l1_ratio=by_ratio,
        artifacts=[],  # the API adds them when it serves the result
    )
    return stored_result(result, store_files(artifacts, f"sweeps/{sweep_id}", files))
