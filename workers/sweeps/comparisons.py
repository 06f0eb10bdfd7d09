"""Comparisons: every configuration scored on each fold; then a leaderboard, paired
differences against the unregularized baseline, and a recommendation."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from api_schemas import NETWORK_KINDS
from api_schemas.comparisons import ComparisonCreate, ComparisonResult, LeaderboardRow
from service.artifacts import ArtifactStore
from workers.data.splits import SplitData
from workers.figures.comparisons import render_comparison
from workers.files import store_files
from workers.jobs.metrics import fit_and_report
from workers.progress import Progress
from workers.sweeps.folds import SweepData
from workers.sweeps.linear_paths import inner_cv_alpha
from workers.sweeps.networks import fit_and_score, network_steps, with_value
from workers.sweeps.results import ComparisonFoldResult, Metric, stored_result
from workers.trainers.linear import build_estimator
from workers.trainers.penalties import penalty_of


def metric_of(task: str) -> tuple[Metric, bool]:
    """The score a comparison ranks by, and whether higher is better."""
    return ("accuracy", True) if task == "classification" else ("mse", False)


def comparison_steps(spec: ComparisonCreate) -> int:
    """An upper bound of a fold's steps: a network's epochs, or a fit, per configuration."""
    if spec.base.model.kind in NETWORK_KINDS:
        return network_steps(spec.base, len(spec.configurations))
    return len(spec.configurations) + 1


def run_comparison_fold(
    spec: ComparisonCreate, data: SweepData, split: SplitData, progress: Progress
) -> ComparisonFoldResult:
    """Each configuration fitted on the fold's training rows, scored on its held-out rows."""
    n_classes = len(np.unique(data.y)) if data.classifies else 0
    metric, _ = metric_of(data.task)
    scores: dict[str, float] = {}
    tuned: dict[str, float] = {}
    for configuration in spec.configurations:
        job = spec.base.model_copy(update={"regularizers": configuration.regularizers})
        if configuration.tune is not None:
            tuned[configuration.name] = inner_cv_alpha(
                job,
                (split.X_train, split.y_train),
                np.asarray(configuration.tune.alpha.points()),
                folds=configuration.tune.folds,
                seed=spec.cv.seed,
            )
            job = with_value(job, "alpha", tuned[configuration.name])
        if job.model.kind in NETWORK_KINDS:
            scores[configuration.name] = fit_and_score(
                job, data, split, progress, configuration.name
            ).test
            continue
        report = fit_and_report(build_estimator(job, penalty_of(job), n_classes), split)
        assert report.metrics.test is not None
        scores[configuration.name] = getattr(report.metrics.test, metric)
        progress.done(configuration.name, "configuration", score=scores[configuration.name])
    return ComparisonFoldResult(scores=scores, metric=metric, task=data.task, tuned=tuned)


def aggregate_comparison(
    spec: ComparisonCreate,
    comparison_id: str,
    fold_results: list[ComparisonFoldResult],
    artifacts: ArtifactStore,
) -> dict[str, Any]:
    """The leaderboard (best first), paired differences against the baseline, the
    recommendation and the chart: what ``SweepStore.finish`` keeps."""
    metric, higher = metric_of(fold_results[0].task)
    names = [c.name for c in spec.configurations]
    per_fold = {name: np.array([r.scores[name] for r in fold_results]) for name in names}
    baseline = next((c.name for c in spec.configurations if not c.regularizers), names[0])
    sign = 1.0 if higher else -1.0
    rows = []
    for name in names:
        scores = per_fold[name]
        difference = p_value = None
        if name != baseline:
            gains = sign * (scores - per_fold[baseline])
            difference = float(gains.mean())
            p_value = float(stats.ttest_rel(scores, per_fold[baseline]).pvalue)
            p_value = None if np.isnan(p_value) else p_value
        rows.append(
            LeaderboardRow(
                name=name,
                mean=float(scores.mean()),
                std=float(scores.std()),
                per_fold=scores.tolist(),
                difference=difference,
                p_value=p_value,
                tuned_alpha=[r.tuned[name] for r in fold_results]
                if name in fold_results[0].tuned
                else None,
            )
        )
    rows.sort(key=lambda row: -sign * row.mean)
    files = store_files(
        artifacts, f"sweeps/{comparison_id}", [render_comparison(rows, metric, baseline)]
    )
    result = ComparisonResult(
        comparison_id=comparison_id,
        metric=metric,
        higher_is_better=higher,
        baseline=baseline,
        leaderboard=rows,
        recommendation=recommend(rows, baseline, metric),
        artifacts=[],  # the API adds them when it serves the result
    )
    return stored_result(result, files)


def recommend(rows: list[LeaderboardRow], baseline: str, metric: str) -> str:
    best = rows[0]
    if best.name == baseline:
        return f"Keep {baseline}: no configuration beats it on mean {metric}."
    p = best.p_value
    tuned = best.tuned_alpha
    at = f" at alpha ~ {float(np.median(tuned)):.3g} (nested CV's median)" if tuned else ""
    if p is not None and p < 0.05:
        return (
            f"Use {best.name}{at}: it improves mean {metric} over {baseline} by "
            f"{best.difference:.4g} on every fold on average (paired t-test p={p:.3g})."
        )
    shown = "n/a" if p is None else f"{p:.3g}"
    return (
        f"{best.name} scores best on mean {metric}, but its edge over {baseline} is not "
        f"significant (paired t-test p={shown}); prefer the simpler model or more folds."
    )
