"""Cancel, retry, delete, history, idempotency and time limits over HTTP, on both backends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.config import Settings
from service.db import make_engine
from service.jobs.attempts import AttemptStore, HistoryEntry
from tests.factories import job_body


def post(client: TestClient, **changes: object) -> str:
    response = client.post("/v1/jobs", json=job_body(**changes))
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def worker(settings: Settings) -> AttemptStore:
    return AttemptStore(make_engine(settings))


def test_cancel_a_queued_job_ends_it_at_once(client: TestClient) -> None:
    job_id = post(client)
    response = client.post(f"/v1/jobs/{job_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = client.post(f"/v1/jobs/{job_id}/cancel")
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]
    assert client.post("/v1/jobs/nope/cancel").status_code == 404


def test_cancel_a_running_job_asks_it_to_stop(client: TestClient, settings: Settings) -> None:
    job_id = post(client)
    attempts = worker(settings)
    attempts.claim(job_id, "w/1")
    response = client.post(f"/v1/jobs/{job_id}/cancel")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_requested"]) == ("running", True)
    assert attempts.checkpoint(job_id, 1) == "cancel"


def test_retry_makes_a_linked_job_for_failed_or_cancelled_only(
    client: TestClient, settings: Settings
) -> None:
    job_id = post(client, max_seconds=120)
    assert client.post(f"/v1/jobs/{job_id}/retry").status_code == 409  # still queued
    attempts = worker(settings)
    attempts.claim(job_id, "w/1")
    attempts.fail(job_id, 1, "internal_error", "boom")
    response = client.post(f"/v1/jobs/{job_id}/retry")
    assert response.status_code == 202
    retry = client.get(response.json()["url"]).json()
    assert (retry["status"], retry["retry_of"], retry["attempt"]) == ("queued", job_id, 0)
    assert retry["spec"] == client.get(f"/v1/jobs/{job_id}").json()["spec"]
    assert retry["max_seconds"] == 120


def test_delete_removes_a_finished_job_and_refuses_an_active_one(
    client: TestClient, settings: Settings
) -> None:
    job_id = post(client)
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 409
    client.post(f"/v1/jobs/{job_id}/cancel")
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
    assert client.get(f"/v1/jobs/{job_id}").status_code == 404
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 404


def test_history_lists_each_attempts_steps(client: TestClient, settings: Settings) -> None:
    job_id = post(client)
    attempts = worker(settings)
    attempts.claim(job_id, "w/1")
    attempts.checkpoint(job_id, 1, {"stage": "load_data", "step": 1, "total": 4},
                        [HistoryEntry(1, "stage", {"stage": "load_data"})])  # fmt: skip
    body = client.get(f"/v1/jobs/{job_id}/history").json()
    assert [(r["attempt"], r["step"], r["data"]) for r in body["items"]] == [
        (1, 1, {"stage": "load_data"})
    ]
    job = client.get(f"/v1/jobs/{job_id}").json()
    assert job["progress"] == {"stage": "load_data", "step": 1, "total": 4}
    assert client.get("/v1/jobs/nope/history").status_code == 404


def test_idempotency_key_replays_the_first_job_and_refuses_another_body(
    client: TestClient, settings: Settings
) -> None:
    headers = {"Idempotency-Key": "order-42"}
    first = client.post("/v1/jobs", json=job_body(), headers=headers)
    assert first.status_code == 202
    replay = client.post("/v1/jobs", json=job_body(), headers=headers)
    assert replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    other = client.post("/v1/jobs", json=job_body(baseline=False), headers=headers)
    assert other.status_code == 409
    assert first.json()["id"] in other.json()["detail"]
    assert len(client.get("/v1/jobs").json()["items"]) == 1


def test_time_limit_defaults_and_is_capped_by_the_server(client: TestClient) -> None:
    job = client.get(f"/v1/jobs/{post(client)}").json()
    assert job["max_seconds"] == 3600
    response = client.post("/v1/jobs", json=job_body(max_seconds=10**9))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "max_seconds"]


def test_oversized_body_is_413_and_stores_nothing(client: TestClient) -> None:
    body = job_body(dataset={"name": "seed_linear", "params": {"n_samples": 100}})
    padded = {**body, "padding": "x" * 2_000_000}
    response = client.post("/v1/jobs", json=padded)
    assert response.status_code == 413
    assert client.get("/v1/jobs").json()["items"] == []
