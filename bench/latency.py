"""Latency of regulab's job path beside Celery's floor and an in-process fit.

    python -m bench.latency [--jobs 200]

On loopback with Redis (broker) and PostgreSQL (store), each in a database / db
number of its own that this script creates and removes, it prints p50 and p99 of

1. POST /v1/jobs → the worker claiming the job (the job's started_at), beside a
   bare Celery apply_async → start of a no-op task with the same configuration;
2. POST /v1/jobs → succeeded (finished_at) for the article's L1 job, beside the
   same training done in this process (workers.jobs.train.train: data, fits, model files;
   the figures are drawn when asked for, by neither);

and the ratios. Requests go one at a time, each to an idle worker (the previous
task acknowledged, IDLE_GAP later): this is latency, not throughput.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

import redis

from api_schemas import JobCreate
from bench.services import production_settings
from service.config import Settings
from service.db import make_engine
from service.jobs.store import JobStore
from service.task_queue import make_celery
from tests.processes import Process, child_env, deployment
from tests.reference import L1_JOB
from workers.jobs.train import train

#: Pause between samples, so each message meets an idle worker: with acks_late and
#: a prefetch of one, a worker takes the next message only after acking the last.
IDLE_GAP = 0.05


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def measure_floor(settings: Settings, folder: Path, n: int) -> list[float]:
    env = child_env(settings)
    argv = [
        sys.executable, "-m", "celery", "-A", "bench.floor_worker", "worker",
        "--concurrency=1", "--pool=prefork", "--without-mingle", "--without-gossip",
        "--loglevel=WARNING", f"--queues={settings.queue}",
    ]  # fmt: skip
    app = make_celery(settings)  # the worker builds its app from the same settings
    results = redis.Redis.from_url(settings.broker_url)
    latencies = []
    with Process("floor-worker", argv, env, folder / "floor.log") as worker:
        for i in range(n + 5):
            time.sleep(IDLE_GAP)
            token = uuid.uuid4().hex
            sent = time.time()
            app.send_task("bench.noop", args=[token], queue=settings.queue)
            deadline = time.monotonic() + 30
            while (started := results.hget("bench:floor", token)) is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(worker.output())
                time.sleep(0.0005)
            if i >= 5:  # the first messages warm the worker up
                latencies.append(float(started) - sent)
    return latencies


def measure_service(settings: Settings, folder: Path, n: int) -> tuple[list[float], list[float]]:
    store = JobStore(make_engine(settings))
    to_start, to_done = [], []
    with deployment(settings, folder, worker_flags={"concurrency": "1"}) as running:
        for i in range(n + 5):
            time.sleep(IDLE_GAP)
            sent = time.time()
            job_id = running.client.post("/v1/jobs", json=L1_JOB).json()["id"]
            deadline = time.monotonic() + 60
            while True:
                job = store.get(job_id)
                assert job is not None
                if job.status in {"succeeded", "failed"}:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(running.logs())
                time.sleep(0.002)
            assert job.status == "succeeded", job.error_message
            assert job.started_at is not None and job.finished_at is not None
            if i >= 5:
                to_start.append(job.started_at.timestamp() - sent)
                to_done.append(job.finished_at.timestamp() - sent)
    return to_start, to_done


def measure_in_process(n: int, data_dir: Path) -> list[float]:
    spec = JobCreate.model_validate(L1_JOB)
    train(spec, data_dir)  # warm-up: imports, font cache
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        train(spec, data_dir)
        samples.append(time.perf_counter() - started)
    return samples


def report(name: str, samples: list[float], floor: list[float], floor_name: str) -> None:
    p50, p99 = percentiles(samples)
    f50, f99 = percentiles(floor)
    print(f"{name:<34} p50 {p50 * 1e3:8.2f} ms   p99 {p99 * 1e3:8.2f} ms")
    print(f"{floor_name:<34} p50 {f50 * 1e3:8.2f} ms   p99 {f99 * 1e3:8.2f} ms")
    print(f"{'ratio':<34} p50 {p50 / f50:8.2f} x    p99 {p99 / f99:8.2f} x\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="samples per measurement")
    args = parser.parse_args()
    with production_settings() as (settings, folder):
        floor = measure_floor(settings, folder, args.jobs)
        to_start, to_done = measure_service(settings, folder, args.jobs)
        in_process = measure_in_process(args.jobs, settings.data_dir)
    print(f"{args.jobs} samples each; Redis broker, PostgreSQL store, one prefork worker\n")
    report("POST /v1/jobs -> job started", to_start, floor, "apply_async -> no-op started")
    report("POST /v1/jobs -> L1 job succeeded", to_done, in_process, "same training in-process")


if __name__ == "__main__":
    main()
