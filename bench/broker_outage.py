"""POST /v1/jobs while the Redis broker is down, beside the same POST while it is up.

    python -m bench.broker_outage [--posts 100]

The compose file's api command runs as a local process on PostgreSQL (a database of
this script's own) and on a redis-server of its own, which it starts and stops. One
POST at a time, it prints p50 and p99 of the round trip in four phases:

1. the broker down since the API started (each publish must open a connection);
2. the broker started, after the API's publish pause (PUBLISH_PAUSE_SECONDS): the
   baseline, each job published at once;
3. the broker stopped under the connected API;
4. the broker started again, after the pause;

and the ratios to 2. While the broker is down each POST still answers 202, its job
queued and unpublished. No worker runs: the jobs stay queued.
"""

from __future__ import annotations

import argparse
import time

from bench.latency import percentiles
from bench.services import production_settings
from service.config import Settings
from service.db import make_engine
from service.jobs.store import JobStore
from tests.processes import (
    Deployment,
    RedisServer,
    compose_command,
    free_port,
    local_command,
    wait_for_http,
)
from tests.reference import L1_JOB

#: Longer than the API's pause after a failed publish (2 s), so phase 3 publishes.
RECOVERY_WAIT = 3.0


def post_jobs(running: Deployment, n: int) -> tuple[list[float], list[str]]:
    """Round trips of ``n`` POSTs after five unmeasured ones, and the measured jobs."""
    latencies, ids = [], []
    for i in range(n + 5):
        started = time.perf_counter()
        answer = running.client.post("/v1/jobs", json=L1_JOB)
        elapsed = time.perf_counter() - started
        assert answer.status_code == 202, answer.text
        if i >= 5:
            latencies.append(elapsed)
            ids.append(answer.json()["id"])
    return latencies, ids


def published(store: JobStore, ids: list[str]) -> int:
    jobs = [store.get(job_id) for job_id in ids]
    return sum(job is not None and job.published_at is not None for job in jobs)


def report(name: str, samples: list[float], baseline: list[float], published: int) -> None:
    p50, p99 = percentiles(samples)
    b50, b99 = percentiles(baseline)
    print(
        f"{name:<24} p50 {p50 * 1e3:7.2f} ms  p99 {p99 * 1e3:7.2f} ms"
        f"   ratio to up: p50 {p50 / b50:6.2f}x  p99 {p99 / b99:6.2f}x"
        f"   published at POST: {published}/{len(samples)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100, help="samples per phase")
    args = parser.parse_args()
    with production_settings() as (base, folder):
        broker = RedisServer(folder)
        settings = Settings.model_validate({**base.model_dump(), "broker_url": broker.url})
        store = JobStore(make_engine(settings))
        port = free_port()
        running = Deployment(settings, folder, port)
        samples: dict[str, tuple[list[float], list[str]]] = {}
        try:
            argv = local_command(compose_command("api"), host="127.0.0.1", port=str(port))
            # /healthz, not /readyz: the broker is down yet.
            wait_for_http(f"{running.base_url}/healthz", running.start("api", argv))
            samples["broker down since start"] = post_jobs(running, args.posts)
            broker.start()
            time.sleep(RECOVERY_WAIT)
            samples["broker up"] = post_jobs(running, args.posts)
            broker.stop()
            samples["broker stopped"] = post_jobs(running, args.posts)
            broker.start()
            time.sleep(RECOVERY_WAIT)
            samples["broker back"] = post_jobs(running, args.posts)
        finally:
            running.stop_all()
            broker.stop()
        counts = {name: published(store, ids) for name, (_, ids) in samples.items()}
    print(f"{args.posts} POSTs a phase, one at a time; PostgreSQL store, Redis broker\n")
    baseline = samples["broker up"][0]
    for name, (latencies, _) in samples.items():
        report(name, latencies, baseline, counts[name])


if __name__ == "__main__":
    main()
