"""Throughput: many of the article's L1 jobs at once, beside bare Celery doing the fits.

    python -m bench.throughput [--jobs 2000] [--clients 16] [--figures lazy|eager|none]

On Redis + PostgreSQL (a database and db number of its own), with one worker of two
prefork processes: ``--clients`` threads POST ``--jobs`` of the article's L1 job between
them as fast as they are answered (``--figures``: the jobs' ``figures``, lazy by
default: none is asked for, so none is drawn). It prints jobs/s submitted and completed, p50/p99 of
the POST and of POST → succeeded, and checks that every job succeeded exactly once (its
row, and one ``job.succeeded`` event each). Beside it, the same number of the same Lasso
fits sent by as many threads to a bare Celery worker of two processes on the same broker
(``bench.floor_worker``), whose task writes nothing but its end time.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import redis
from sqlalchemy import func, select

from bench.latency import percentiles
from bench.services import production_settings
from service.config import Settings
from service.db import make_engine
from service.tables import Event, Job
from service.task_queue import make_celery
from tests.processes import Process, child_env, deployment
from tests.reference import L1_JOB


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (i < total % parts) for i in range(parts)]


def measure_service(
    settings: Settings, folder: Path, jobs: int, clients: int, figures: str
) -> dict[str, float]:
    engine = make_engine(settings)
    body = {**L1_JOB, "figures": figures}
    posted: dict[str, float] = {}
    submits: list[float] = []
    lock = threading.Lock()
    with deployment(settings, folder, worker_flags={"concurrency": "2"}) as d:
        for _ in range(5):  # warm the pool processes
            d.wait_for_job(d.client.post("/v1/jobs", json=body).json()["id"])
        with engine.begin() as connection:
            connection.execute(Job.__table__.delete())

        def client(count: int) -> None:
            with httpx.Client(base_url=d.base_url, timeout=60) as http:
                for _ in range(count):
                    sent = time.time()
                    response = http.post("/v1/jobs", json=body)
                    took = time.time() - sent
                    response.raise_for_status()
                    with lock:
                        posted[response.json()["id"]] = sent
                        submits.append(took)

        started = time.time()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(client, split(jobs, clients)))
        submitted = time.time()
        while True:
            with engine.connect() as connection:
                done = connection.execute(
                    select(func.count()).where(Job.status.in_(["succeeded", "failed"]))
                ).scalar_one()
            if done >= jobs:
                break
            time.sleep(0.2)
        with engine.connect() as connection:
            rows = connection.execute(select(Job.id, Job.status, Job.finished_at)).all()
            ends = connection.execute(
                select(func.count()).where(
                    Event.type == "job.succeeded", Event.subject_id.in_(posted)
                )
            ).scalar_one()
    succeeded = [r for r in rows if r.status == "succeeded"]
    assert len(rows) == jobs and len(succeeded) == jobs, (len(rows), len(succeeded))
    assert ends == jobs, f"{ends} job.succeeded events for {jobs} jobs"
    last = max(r.finished_at.timestamp() for r in succeeded)
    to_done = [r.finished_at.timestamp() - posted[r.id] for r in succeeded]
    submit_p50, submit_p99 = percentiles(submits)
    done_p50, done_p99 = percentiles(to_done)
    return {
        "submitted": jobs / (submitted - started),
        "completed": jobs / (last - started),
        "submit_p50": submit_p50,
        "submit_p99": submit_p99,
        "done_p50": done_p50,
        "done_p99": done_p99,
    }


def measure_celery(settings: Settings, folder: Path, jobs: int, clients: int) -> float:
    argv = [
        sys.executable, "-m", "celery", "-A", "bench.floor_worker", "worker",
        "--concurrency=2", "--pool=prefork", "--without-mingle", "--without-gossip",
        "--loglevel=WARNING", f"--queues={settings.queue}",
    ]  # fmt: skip
    app = make_celery(settings)
    results = redis.Redis.from_url(settings.broker_url)
    with Process("floor-worker", argv, child_env(settings), folder / "floor.log") as worker:
        for _ in range(5):  # warm up, as the service
            app.send_task("bench.lasso_fit", args=[uuid.uuid4().hex], queue=settings.queue)
        while results.hlen("bench:fits") < 5:
            time.sleep(0.05)
            assert worker.alive(), worker.output()
        results.delete("bench:fits")

        def client(count: int) -> None:
            for _ in range(count):
                app.send_task("bench.lasso_fit", args=[uuid.uuid4().hex], queue=settings.queue)

        started = time.time()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(client, split(jobs, clients)))
        while results.hlen("bench:fits") < jobs:
            time.sleep(0.05)
        last = max(float(v) for v in results.hvals("bench:fits"))
    return jobs / (last - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--figures", choices=["lazy", "eager", "none"], default="lazy", help="the jobs' figures"
    )
    args = parser.parse_args()
    with production_settings() as (settings, folder):
        service = measure_service(settings, folder, args.jobs, args.clients, args.figures)
        celery = measure_celery(settings, folder, args.jobs, args.clients)
    print(
        f"{args.jobs} article L1 jobs (figures {args.figures}), {args.clients} clients, "
        "one worker of 2 processes"
    )
    print(f"  submitted      {service['submitted']:8.1f} jobs/s")
    print(f"  completed      {service['completed']:8.1f} jobs/s (every one succeeded, once)")
    p50, p99 = service["submit_p50"] * 1e3, service["submit_p99"] * 1e3
    print(f"  POST           p50 {p50:8.1f} ms  p99 {p99:8.1f} ms")
    print(f"  POST->done     p50 {service['done_p50']:8.2f} s   p99 {service['done_p99']:8.2f} s")
    print(f"  bare Celery    {celery:8.1f} fits/s (same Lasso fits, nothing stored)")
    print(f"  ratio          {service['completed'] / celery:8.3f}x  (goal >= 0.5x)")


if __name__ == "__main__":
    main()
