"""A 5-fold, 100-alpha Lasso path sweep through the service beside scikit-learn's LassoCV.

    python -m bench.sweep_speed [--rows 10000] [--features 1000]

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
from sklearn.linear_model import LassoCV, lasso_path
from sklearn.model_selection import KFold

from api_schemas import DatasetRef
from bench.services import production_settings
from tests.processes import deployment
from workers.datasets import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=1_000)
    args = parser.parse_args()
    params = {"n_samples": args.rows, "n_features": args.features, "n_informative": 50}
    data = load_dataset(DatasetRef(name="sparse_regression", params=params), Path())
    X, y = data.X, data.y
    alpha_max = float(np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y))
    grid = (alpha_max * np.logspace(-3, 0, 100)).tolist()
    folds = KFold(5, shuffle=True, random_state=0)

    timings = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        reference = LassoCV(alphas=grid, cv=folds, tol=1e-4, n_jobs=jobs).fit(X, y)
        timings[jobs] = time.perf_counter() - started

    sweep = {
        "base": {
            "dataset": {"name": "sparse_regression", "params": params},
            "model": {"kind": "linear_regression", "tol": 1e-4},
            "regularizers": [{"kind": "l1", "alpha": 1.0}],
        },
        "grid": {"alpha": {"values": grid}},
        "cv": {"folds": 5, "shuffle": True, "seed": 0},
    }
    with (
        production_settings(max_body_bytes=10_000_000) as (settings, folder),
        deployment(settings, folder, worker_flags={"concurrency": "2"}) as running,
    ):
        time.sleep(2)  # let the worker's pool start
        started = time.perf_counter()
        sweep_id = running.client.post("/v1/sweeps", json=sweep).json()["id"]
        while running.client.get(f"/v1/sweeps/{sweep_id}").json()["status"] == "running":
            time.sleep(0.05)
        service_seconds = time.perf_counter() - started
        result = running.client.get(f"/v1/sweeps/{sweep_id}/result").json()

    _, coefs, _ = lasso_path(X - X.mean(0), y - y.mean(), alphas=np.sort(grid)[::-1], tol=1e-4)
    path = np.asarray(result["path"]["coef"]).T
    distance = np.linalg.norm(path - coefs) / np.linalg.norm(coefs)
    print(f"{args.rows} x {args.features}, 5 folds, 100 alphas\n")
    print(f"LassoCV n_jobs=1        {timings[1]:7.2f} s")
    print(f"LassoCV n_jobs=2        {timings[2]:7.2f} s")
    print(f"service (2 processes)   {service_seconds:7.2f} s   POST to succeeded")
    print(f"\nservice / LassoCV(n_jobs=1) {service_seconds / timings[1]:5.2f}x  (goal <= 1.1)")
    print(f"service / LassoCV(n_jobs=2) {service_seconds / timings[2]:5.2f}x")
    print(f"chosen alpha: service {result['best']['alpha']:.6g}, LassoCV {reference.alpha_:.6g}")
    print(f"coefficient paths, relative L2 distance: {distance:.2e}  (goal <= 1e-3)")


if __name__ == "__main__":
    main()
