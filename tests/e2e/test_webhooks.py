"""Webhooks from real worker processes to a receiver on loopback that verifies each with
the standardwebhooks package; a worker SIGKILLed after a job's end and before its webhook
went out leaves the delivery to the next worker. Both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import Settings
from tests.api.test_events import ARTICLE_L1
from tests.processes import Deployment, deployment
from tests.webhook_receiver import Receiver, receiver

pytestmark = pytest.mark.e2e


def hooked(settings: Settings) -> Settings:
    """Loopback allowed; a 1 s timeout, so a delivery handed out by a dispatcher that died
    before publishing it is handed out again 12 s later (2 x timeout + 10 s)."""
    return settings.model_copy(
        update={
            "webhook_allow_private": True,
            "webhook_retry_schedule": "0.2",
            "webhook_timeout_seconds": 1.0,
        }
    )


def subscribe(d: Deployment, hooks: Receiver) -> None:
    body = {"url": hooks.url("/hook"), "events": ["job.succeeded", "job.failed"]}
    response = d.client.post("/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    hooks.secrets.append(response.json()["secret"])


def test_a_job_s_end_reaches_the_receiver_signed(settings: Settings, tmp_path: Path) -> None:
    with receiver() as hooks, deployment(hooked(settings), tmp_path) as d:
        subscribe(d, hooks)
        job_id = d.client.post("/v1/jobs", json=ARTICLE_L1).json()["id"]
        (got,) = hooks.wait_for("/hook", 1, timeout=60)
        assert got.verified, got.headers
        assert got.message["type"] == "job.succeeded"
        assert got.message["data"]["subject"]["id"] == job_id
        assert d.job(job_id)["status"] == "succeeded"


def test_a_worker_killed_before_sending_leaves_the_webhook_to_the_next(
    settings: Settings, tmp_path: Path
) -> None:
    """The first worker serves only the jobs' queue: the job's end (and its delivery, in
    the same transaction) is stored, but no webhook goes out before it dies."""
    hooked_settings = hooked(settings)
    only_jobs = {"queues": hooked_settings.queue}
    with receiver() as hooks, deployment(hooked_settings, tmp_path, only_jobs) as d:
        subscribe(d, hooks)
        job_id = d.client.post("/v1/jobs", json=ARTICLE_L1).json()["id"]
        assert d.wait_for_job(job_id)["status"] == "succeeded", d.logs()
        d.processes["worker"].kill_group()
        assert hooks.at("/hook") == []
        d.start_worker("worker-2")  # every queue, the webhooks' too
        got = hooks.wait_for("/hook", 1, timeout=90)
        assert all(r.verified for r in got)
        assert {r.headers["webhook-id"] for r in got} == {got[0].headers["webhook-id"]}
        assert got[0].message["data"]["subject"]["id"] == job_id
