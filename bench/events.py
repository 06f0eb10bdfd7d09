"""Push latency: from a job's finished_at to its webhook reaching a receiver, and to its
terminal event reaching a client that follows the job's event stream.

    python -m bench.events [--jobs 200] [--backend services|embedded|both]

For each deployment (Redis + PostgreSQL, each in a database / db number of its own, and
the embedded default) it starts the compose file's api and worker commands as local
processes and a webhook receiver on loopback subscribed to job.succeeded. For each of the
article's L1 jobs, one at a time, it POSTs the job, follows GET /v1/jobs/{id}/events from
a thread, and, beside it, polls GET /v1/jobs/{id} every 100 ms (what a client without
push does). It prints p50/p99 of finished_at → webhook received, → SSE event received,
→ the poller seeing it, and the ratios of push to polling.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
from httpx_sse import connect_sse

from bench.latency import percentiles
from bench.services import production_settings
from service.config import Settings
from service.migrate import upgrade_database
from tests.processes import Deployment, deployment
from tests.reference import L1_JOB
from tests.webhook_receiver import receiver

POLL_SECONDS = 0.1
GOALS = {"services": 0.050, "embedded": 0.250}


@contextmanager
def embedded_settings() -> Iterator[tuple[Settings, Path]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "data", log_level="WARNING")
        upgrade_database(settings)
        yield settings, folder


def follow(base_url: str, job_id: str, arrived: dict[str, float]) -> None:
    with (
        httpx.Client(base_url=base_url, timeout=60) as client,
        connect_sse(client, "GET", f"/v1/jobs/{job_id}/events") as source,
    ):
        for sse in source.iter_sse():
            if sse.event == "job.succeeded":
                arrived["sse"] = time.time()


def poll(base_url: str, job_id: str, arrived: dict[str, float]) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        while client.get(f"/v1/jobs/{job_id}").json()["status"] != "succeeded":
            time.sleep(POLL_SECONDS)
        arrived["poll"] = time.time()


def measure(d: Deployment, jobs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"webhook": [], "sse": [], "poll": []}
    with receiver() as hooks:
        body = {"url": hooks.url("/hook"), "events": ["job.succeeded"]}
        hooks.secrets.append(d.client.post("/v1/webhooks", json=body).json()["secret"])
        for i in range(jobs + 5):  # the first five warm the worker's pool processes
            job_id = d.client.post("/v1/jobs", json=L1_JOB).json()["id"]
            arrived: dict[str, float] = {}
            threads = [
                threading.Thread(target=f, args=(d.base_url, job_id, arrived))
                for f in (follow, poll)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            got = hooks.wait_for("/hook", i + 1, timeout=60)[-1]
            assert got.verified and got.message["data"]["subject"]["id"] == job_id
            finished = datetime.fromisoformat(d.job(job_id)["finished_at"]).timestamp()
            if i >= 5:
                samples["webhook"].append(got.at - finished)
                samples["sse"].append(arrived["sse"] - finished)
                samples["poll"].append(arrived["poll"] - finished)
    return samples


def report(name: str, samples: dict[str, list[float]]) -> None:
    goal = GOALS[name]
    poll_p50, poll_p99 = percentiles(samples["poll"])
    print(f"\n{name}: finished_at -> arrival, p50 / p99 (ms), {len(samples['sse'])} jobs")
    for what in ("webhook", "sse"):
        p50, p99 = percentiles(samples[what])
        print(
            f"  {what:8s} {p50 * 1e3:8.1f} / {p99 * 1e3:8.1f}   goal p50 <= {goal * 1e3:.0f} ms: "
            f"{'met' if p50 <= goal else 'NOT met'};  vs polling p50 {p50 / poll_p50:.2f}x"
        )
    print(f"  polling  {poll_p50 * 1e3:8.1f} / {poll_p99 * 1e3:8.1f}   (GET every 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--backend", choices=["services", "embedded", "both"], default="both")
    args = parser.parse_args()
    overrides = {"webhook_allow_private": True}
    chosen = ["services", "embedded"] if args.backend == "both" else [args.backend]
    for name in chosen:
        shape = production_settings if name == "services" else embedded_settings
        with shape() as (base, folder), deployment(base.model_copy(update=overrides), folder) as d:
            report(name, measure(d, args.jobs))


if __name__ == "__main__":
    main()
