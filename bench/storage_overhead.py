"""What object storage costs: the same work on ``file://`` and on an S3 API, one run.

    python -m bench.storage_overhead [--rows 10000] [--features 1000] [--jobs 30] [--rounds 2]

On loopback: PostgreSQL store, Redis broker, the compose file's API and one worker
with two pool processes, and for ``s3://`` moto's server mode (a real S3 API over HTTP,
as in the tests). For each storage, in alternating rounds:

1. a 10,000 x 1,000 table is uploaded as Parquet (80 MB of float64; the API writes the
   canonical Parquet to the store), then a 5-fold, 100-alpha Lasso sweep on it is timed
   from POST to succeeded: the first sweep reads the upload from the store (on s3://
   each worker host fetches it into its dataset cache), a second one finds it read;
2. the article's L1 job (Lasso alpha=0.2, 100 points), POST to succeeded, one at a
   time: p50 over ``--jobs``.

Prints each time and the s3:// / file:// ratio (goal for the sweep: <= 1.15).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.services import production_settings, time_sweep, wait_until_warm
from tests.object_storage import S3Server, use_test_credentials
from tests.processes import Deployment, deployment
from tests.reference import L1_JOB


def upload_table(rows: int, features: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """A sparse regression problem as a Parquet file (50 informative columns), and its
    arrays."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, features))
    coef = np.zeros(features)
    coef[:50] = rng.uniform(-3, 3, 50)
    y = X @ coef + rng.standard_normal(rows)
    columns = {f"x{i}": X[:, i] for i in range(features)} | {"y": y}
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue(), X, y


def sweep_on(dataset_id: str, grid: list[float]) -> dict[str, Any]:
    return {
        "base": {
            "dataset": {"id": dataset_id},
            "model": {"kind": "linear_regression", "tol": 1e-4},
            "regularizers": [{"kind": "l1", "alpha": 1.0}],
        },
        "grid": {"alpha": {"values": grid}},
        "cv": {"folds": 5, "shuffle": True, "seed": 0},
    }


def time_job(d: Deployment) -> float:
    started = time.perf_counter()
    job_id = d.client.post("/v1/jobs", json=L1_JOB).json()["id"]
    while d.client.get(f"/v1/jobs/{job_id}").json()["status"] in {"queued", "running"}:
        time.sleep(0.002)
    return time.perf_counter() - started


def measure(
    storage: dict[str, Any], table: bytes, grid: list[float], jobs: int
) -> dict[str, float]:
    with (
        production_settings(max_body_bytes=10_000_000, **storage) as (settings, folder),
        deployment(settings, folder, worker_flags={"concurrency": "2"}) as running,
    ):
        wait_until_warm(running.client)
        started = time.perf_counter()
        response = running.client.post(
            "/v1/datasets",
            files={"file": ("wide.parquet", table)},
            data={"name": "wide", "target": "y"},
            timeout=300,
        )
        assert response.status_code == 201, response.text
        upload_seconds = time.perf_counter() - started
        dataset_id = response.json()["id"]
        cold, _ = time_sweep(running.client, sweep_on(dataset_id, grid))
        warm, _ = time_sweep(running.client, sweep_on(dataset_id, grid))
        job_seconds = [time_job(running) for _ in range(jobs)]
    return {
        "upload": upload_seconds,
        "sweep": cold,
        "sweep again": warm,
        "L1 job p50": statistics.median(job_seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=1_000)
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    use_test_credentials()
    table, X, y = upload_table(args.rows, args.features)
    alpha_max = float(np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y))
    grid = (alpha_max * np.logspace(-3, 0, 100)).tolist()
    del X

    results: dict[str, list[dict[str, float]]] = {"file://": [], "s3://": []}
    with tempfile.TemporaryDirectory() as tmp:
        server = S3Server(Path(tmp))
        server.start()
        try:
            for _ in range(args.rounds):
                results["file://"].append(measure({}, table, grid, args.jobs))
                bucket = server.new_bucket()
                s3 = {
                    "storage_url": f"s3://{bucket}/regulab",
                    "s3_endpoint_url": server.endpoint_url,
                }
                results["s3://"].append(measure(s3, table, grid, args.jobs))
        finally:
            server.stop()

    print(
        f"{args.rows} x {args.features} upload ({len(table) / 1e6:.0f} MB Parquet), "
        f"5 folds x 100 alphas; article L1 job x {args.jobs}; {args.rounds} rounds\n"
    )
    print(f"{'':14}" + "".join(f"{name:>26}" for name in results["file://"][0]))
    for name, rounds in results.items():
        cells = [" / ".join(f"{r[k]:.3f}" for r in rounds) for k in rounds[0]]
        print(f"{name:14}" + "".join(f"{c:>26}" for c in cells))
    print()
    for key in results["file://"][0]:
        best = {name: min(r[key] for r in rounds) for name, rounds in results.items()}
        ratio = best["s3://"] / best["file://"]
        goal = "  (goal <= 1.15)" if key == "sweep" else ""
        print(f"s3:// / file://  {key:12} {ratio:5.2f}x  (best of rounds){goal}")


if __name__ == "__main__":
    main()
