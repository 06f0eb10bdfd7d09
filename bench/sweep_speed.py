"""A 5-fold, 100-alpha path sweep through the service beside scikit-learn's CV estimator.

    python -m bench.sweep_speed [--rows 10000] [--features 1000] [--penalty l1|elastic_net|l2]

l1 is compared with LassoCV, elastic_net (l1_ratio 0.5) with ElasticNetCV, l2 with
RidgeCV (scored by MSE, as the sweep chooses).

On loopback: PostgreSQL store, Redis broker (a database / db number of its own), the
compose file's API and one worker command with two pool processes. LassoCV runs in
this process with the same folds, grid and tolerance, once with n_jobs=1 and once with
n_jobs=2 (the service also uses two processes). Prints wall times, their ratio, whether
the chosen alphas are equal and how far apart the coefficient paths are.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import ElasticNetCV, LassoCV, RidgeCV, enet_path
from sklearn.model_selection import KFold

from api_schemas import DatasetRef
from bench.services import production_settings, time_sweep, wait_until_warm
from service.config import Settings
from service.db import make_engine
from service.sweeps.store import SweepStore
from tests.processes import deployment
from workers.data.datasets import load_dataset


def reference_estimator(penalty: str, grid: list[float], folds: KFold, jobs: int) -> object:
    """scikit-learn's own CV estimator for the penalty, with the same folds and grid."""
    if penalty == "l1":
        return LassoCV(alphas=grid, cv=folds, tol=1e-4, n_jobs=jobs)
    if penalty == "elastic_net":
        return ElasticNetCV(alphas=grid, l1_ratio=0.5, cv=folds, tol=1e-4, n_jobs=jobs)
    return RidgeCV(alphas=grid, cv=folds, scoring="neg_mean_squared_error")


def reference_path(penalty: str, X: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """The path on every row (features x alphas), computed here with scikit-learn."""
    Xc, yc = X - X.mean(0), y - y.mean()
    if penalty == "l2":
        u, s, vt = np.linalg.svd(Xc, full_matrices=False)
        shrink = s[:, None] / (s[:, None] ** 2 + alphas[None, :])
        path: np.ndarray = vt.T @ (shrink * (u.T @ yc)[:, None])
        return path
    ratio = 1.0 if penalty == "l1" else 0.5
    _, coefs, _ = enet_path(Xc, yc, l1_ratio=ratio, alphas=alphas, tol=1e-4)
    result: np.ndarray = coefs
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=1_000)
    parser.add_argument("--penalty", choices=["l1", "elastic_net", "l2"], default="l1")
    args = parser.parse_args()
    params = {"n_samples": args.rows, "n_features": args.features, "n_informative": 50}
    data = load_dataset(DatasetRef(name="sparse_regression", params=params), Path())
    X, y = data.X, data.y
    alpha_max = float(np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y))
    scale = 2 * alpha_max if args.penalty == "elastic_net" else alpha_max
    if args.penalty == "l2":
        scale = float(np.linalg.norm(X - X.mean(0), 2) ** 2)  # around the largest eigenvalue
    grid = (scale * np.logspace(-3, 0, 100)).tolist()
    folds = KFold(5, shuffle=True, random_state=0)
    regularizer: dict[str, object] = {"kind": args.penalty, "alpha": 1.0}
    if args.penalty == "elastic_net":
        regularizer["l1_ratio"] = 0.5

    def reference_cv(jobs: int) -> object:
        return reference_estimator(args.penalty, grid, folds, jobs)

    timings = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        reference = reference_cv(jobs).fit(X, y)  # type: ignore[attr-defined]
        timings[jobs] = time.perf_counter() - started

    sweep = {
        "base": {
            "dataset": {"name": "sparse_regression", "params": params},
            "model": {"kind": "linear_regression", "tol": 1e-4},
            "regularizers": [regularizer],
        },
        "grid": {"alpha": {"values": grid}},
        "cv": {"folds": 5, "shuffle": True, "seed": 0},
    }
    with (
        production_settings(max_body_bytes=10_000_000) as (settings, folder),
        deployment(settings, folder, worker_flags={"concurrency": "2"}) as running,
    ):
        wait_until_warm(running.client)
        service_seconds, sweep_id = time_sweep(running.client, sweep)
        timeline = fold_timeline(settings, sweep_id)
        # The same sweep again: the workers now hold the dataset (a dataset is built or
        # read once per worker process), as for a user's second sweep on their data.
        warm_seconds, warm_id = time_sweep(running.client, sweep)
        warm_timeline = fold_timeline(settings, warm_id)
        result = running.client.get(f"/v1/sweeps/{sweep_id}/result").json()

    coefs = reference_path(args.penalty, X, y, np.sort(grid)[::-1])
    path = np.asarray(result["path"]["coef"]).T
    distance = np.linalg.norm(path - coefs) / np.linalg.norm(coefs)
    name = type(reference_cv(1)).__name__
    print(f"{args.rows} x {args.features}, 5 folds, 100 alphas, {args.penalty}\n")
    print(f"{name} n_jobs=1   {timings[1]:7.2f} s")
    print(f"{name} n_jobs=2   {timings[2]:7.2f} s")
    print(f"service (2 processes)   {service_seconds:7.2f} s   POST to succeeded, first sweep")
    print(f"service, data cached    {warm_seconds:7.2f} s   the same sweep again")
    for label, seconds in [("", service_seconds), (", cached", warm_seconds)]:
        print(f"\nservice{label} / {name}(n_jobs=1) {seconds / timings[1]:5.2f}x  (goal <= 1.1)")
        print(f"service{label} / {name}(n_jobs=2) {seconds / timings[2]:5.2f}x")
    chosen = reference.alpha_  # type: ignore[attr-defined]
    print(f"chosen alpha: service {result['best']['alpha']:.6g}, {name} {chosen:.6g}")
    print(f"coefficient paths, relative L2 distance: {distance:.2e}  (goal <= 1e-3)")
    print("\nseconds after the sweep's row was written, first sweep / data cached:")
    print(timeline)
    print(warm_timeline)


def fold_timeline(settings: Settings, sweep_id: str) -> str:
    """Each fold's start and end, and the sweep's end, from the store's timestamps."""
    store = SweepStore(make_engine(settings))
    sweep = store.get(sweep_id)
    assert sweep is not None and sweep.finished_at is not None
    zero = sweep.created_at
    lines = []
    for job in store.trials(sweep_id):
        assert job.started_at is not None and job.finished_at is not None
        start = (job.started_at - zero).total_seconds()
        end = (job.finished_at - zero).total_seconds()
        lines.append(f"  trial {job.trial}: {start:5.2f} -> {end:5.2f}  ({end - start:4.2f} s)")
    lines.append(f"  aggregated: {(sweep.finished_at - zero).total_seconds():5.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
