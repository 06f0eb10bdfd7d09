"""Prediction latency and throughput over HTTP beside the same model in-process.

    python -m bench.predictions [--requests 500]

On the embedded default (SQLite, filesystem queue) it trains an L2 linear regression
on diabetes in this process (the worker's own run_job), starts the compose file's api
command as a local process and prints

1. one-row POST /v1/jobs/{id}/predictions, p50 and p99, beside a bare GET /healthz
   round trip on the same server, onnxruntime on the same model.onnx in this process,
   and scikit-learn's predict on the same rows in this process;
2. 10,000-row requests (their JSON encoded once, beforehand): rows per second over HTTP
   beside scikit-learn in-process, and the ceiling any body format would meet: 10,000
   rows per bare GET /healthz round trip;
3. a scoring of an uploaded table (--scoring-rows, 500,000 by default): the worker's
   run_job from claim to stored predictions.parquet and .csv, in rows per second, beside
   scikit-learn's predict on the same rows in-process;

and the ratios. Requests go one at a time (latency, not concurrency).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

from bench.latency import percentiles
from service.config import Settings
from service.migrate import upgrade_database
from tests.processes import (
    Process,
    child_env,
    compose_command,
    free_port,
    local_command,
    wait_for_http,
)
from workers.runtime.job_runner import Outcome, WorkerContext, run_job

JOB = {
    "dataset": {"name": "diabetes"},
    "model": {"kind": "linear_regression"},
    "regularizers": [{"kind": "l2", "alpha": 1.0}],
    "split": {"test_fraction": 0.2, "seed": 0},
}


def timed(call: Callable[[], object], n: int) -> list[float]:
    for _ in range(min(20, n)):
        call()  # warm up: connections, the session cache, allocator
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--scoring-rows", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "data", log_level="WARNING")
        upgrade_database(settings)
        port = free_port()
        argv = local_command(compose_command("api"), host="127.0.0.1", port=str(port))
        with Process("api", argv, child_env(settings), folder / "api.log") as api:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/readyz", api)
            with httpx.Client(base_url=base, timeout=30) as client:
                job_id = client.post("/v1/jobs", json=JOB).json()["id"]
                ctx = WorkerContext.from_settings(settings)
                assert run_job(ctx, job_id, "bench/1") is Outcome.succeeded
                report(client, job_id, args.requests, args.batches)
                report_scoring(client, ctx, job_id, args.scoring_rows)


def report(client: httpx.Client, job_id: str, n: int, batches: int) -> None:
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=0)
    reference = Ridge(alpha=1.0).fit(X_train, y_train)
    row = X_test[:1]
    url = f"/v1/jobs/{job_id}/predictions"
    one = {"instances": row.tolist()}
    model = client.get(f"/v1/jobs/{job_id}/model", params={"format": "onnx"}).content
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])

    http = timed(lambda: client.post(url, json=one).raise_for_status(), n)
    health = timed(lambda: client.get("/healthz").raise_for_status(), n)
    onnx = timed(lambda: session.run(["predictions"], {"X": row}), n)
    sklearn = timed(lambda: reference.predict(row), n)
    print("one-row prediction, p50 / p99 (ms):")
    for name, samples in [
        ("POST /predictions", http),
        ("GET /healthz", health),
        ("onnxruntime in-process", onnx),
        ("scikit-learn predict in-process", sklearn),
    ]:
        p50, p99 = percentiles(samples)
        print(f"  {name:34s} {p50 * 1e3:8.3f} / {p99 * 1e3:8.3f}")
    ratio = statistics.median(http) / statistics.median(health)
    print(f"  ratio POST p50 / healthz p50: {ratio:.2f}x  (goal <= 2x and <= 2 ms)")

    rng = np.random.default_rng(0)
    big = X_test[rng.integers(0, len(X_test), 10_000)]
    # Encoded once, as a client that holds its rows as JSON would send them: what is
    # timed is the server (and the transfer), not the standard library's json.dumps.
    body = json.dumps({"instances": big.tolist()}).encode()
    headers = {"Content-Type": "application/json"}
    served = timed(
        lambda: client.post(url, content=body, headers=headers).raise_for_status(), batches
    )
    local = timed(lambda: reference.predict(big), batches)
    http_rate = 10_000 / statistics.median(served)
    local_rate = 10_000 / statistics.median(local)
    print("10,000-row requests, rows/s (median):")
    print(f"  over HTTP {http_rate:12,.0f}   scikit-learn in-process {local_rate:12,.0f}")
    ceiling = 10_000 / statistics.median(health)
    print(f"  ratio: {http_rate / local_rate:.3f}x  (goal >= 0.5x)")
    print(
        f"  ceiling, 10,000 rows per bare healthz round trip: {ceiling:12,.0f} rows/s, "
        f"{ceiling / local_rate:.3f}x"
    )


def report_scoring(client: httpx.Client, ctx: WorkerContext, job_id: str, rows: int) -> None:
    X, y = load_diabetes(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=0)
    reference = Ridge(alpha=1.0).fit(X_train, y_train)
    big = np.random.default_rng(1).normal(0, 0.05, (rows, X.shape[1]))
    table = pa.table({f"x{i}": big[:, i] for i in range(X.shape[1])})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    files = {"file": ("big.parquet", sink.getvalue())}
    dataset = client.post("/v1/datasets", files=files, data={"name": "big"})
    dataset.raise_for_status()
    body = {"dataset": {"id": dataset.json()["id"]}}
    scoring_id = client.post(f"/v1/jobs/{job_id}/predictions", json=body).json()["id"]
    started = time.perf_counter()
    assert run_job(ctx, scoring_id, "bench/1") is Outcome.succeeded
    took = time.perf_counter() - started
    local = timed(lambda: reference.predict(big), 3)
    rate, local_rate = rows / took, rows / statistics.median(local)
    print(f"scoring {rows:,} uploaded rows (claim to stored .parquet and .csv), rows/s:")
    print(f"  scoring {rate:12,.0f}   scikit-learn predict in-process {local_rate:12,.0f}")
    print(f"  ratio: {rate / local_rate:.3f}x")


if __name__ == "__main__":
    main()
