"""GET /metrics on both backends: requests by route template (never an id), method and
status; jobs by status and kind, queue depths and webhook deliveries, read at scrape
time."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.api.metrics import queue_depths
from service.config import Settings
from service.main import create_app
from service.task_queue import make_celery, publish_job
from tests.factories import job_body
from tests.processes import free_port


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template(client: TestClient) -> None:
    job_id = client.post("/v1/jobs", json=job_body()).json()["id"]
    client.get(f"/v1/jobs/{job_id}")
    client.get("/v1/jobs/no-such-job")
    client.get("/no/such/path")
    found = samples(client)
    requests = "regulab_http_requests_total"
    assert value(found, requests, route="/v1/jobs", method="POST", status="202") == 1
    assert value(found, requests, route="/v1/jobs/{job_id}", method="GET", status="200") == 1
    assert value(found, requests, route="/v1/jobs/{job_id}", method="GET", status="404") == 1
    assert value(found, requests, route="unmatched", method="GET", status="404") == 1
    assert not [key for key in found if job_id in str(key)]  # no ids as labels
    latency = "regulab_http_request_duration_seconds_count"
    assert value(found, latency, route="/v1/jobs", method="POST") == 1


@pytest.mark.parametrize("settings", ["embedded", "services", "rabbitmq"], indirect=True)
def test_jobs_queues_and_deliveries_are_read_at_scrape_time(settings: Settings) -> None:
    settings = settings.model_copy(update={"webhook_allow_private": True})
    with TestClient(create_app(settings)) as client:
        hook = {"url": "http://127.0.0.1:9/hook", "events": ["job.queued"]}
        assert client.post("/v1/webhooks", json=hook).status_code == 201
        for _ in range(2):
            client.post("/v1/jobs", json=job_body())
        found = samples(client)
    assert value(found, "regulab_jobs", status="queued", kind="job") == 2
    assert value(found, "regulab_queue_depth", queue="regulab") == 2
    assert value(found, "regulab_queue_depth", queue="regulab.figures") == 0
    assert value(found, "regulab_webhook_deliveries", status="pending") == 2


@pytest.mark.parametrize("settings", ["embedded", "services", "rabbitmq"], indirect=True)
def test_queue_depths_count_on_past_queues_never_declared(settings: Settings) -> None:
    """On RabbitMQ a passive declare of a missing queue closes the channel it was asked
    on: the queues after it are counted all the same, at every scrape."""
    celery = make_celery(settings)
    for job_id in ("job-1", "job-2"):
        publish_job(celery, job_id, settings.queue)
    publish_job(celery, "job-3", settings.gpu_queue)
    queues = ["regulab.never", settings.queue, "regulab.never-2", settings.gpu_queue]
    expected = {"regulab.never": 0, settings.queue: 2, "regulab.never-2": 0, settings.gpu_queue: 1}
    assert queue_depths(celery, queues) == expected
    assert queue_depths(celery, queues) == expected


def test_queue_depths_are_unknown_when_rabbitmq_does_not_answer(tmp_path: Path) -> None:
    broker_url = f"amqp://guest:guest@127.0.0.1:{free_port()}//"  # nothing listens there
    celery = make_celery(Settings(data_dir=tmp_path, broker_url=broker_url))
    assert queue_depths(celery, ["regulab"]) == {}
