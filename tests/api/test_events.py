"""Events over HTTP, on both backends: a job's stream from queued to its end, resumed
after Last-Event-ID with nothing lost or repeated; cancels', failures' and sweeps'
events; the caller's feed; 404 for another's, 410 once pruned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from httpx_sse import connect_sse

from api_schemas.webhooks import EVENT_TYPES
from service.config import Settings
from service.db import make_engine, utcnow
from service.events.store import EventStore
from service.jobs.attempts import AttemptStore
from service.main import create_app
from tests.api.test_auth import ALICE, BOB
from tests.factories import run_trials
from workers.runtime.job_runner import Outcome, WorkerContext, run_job

ARTICLE_L1 = {
    "dataset": {"name": "seed_linear"},
    "model": {"kind": "linear_regression"},
    "regularizers": [{"kind": "l1", "alpha": 0.2}],
}


def stream(
    client: httpx.Client, url: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every event of a stream that ends by itself, as (SSE id, SSE event, data)."""
    events = []
    with connect_sse(client, "GET", url, headers=dict(headers or {})) as source:
        assert source.response.status_code == 200, source.response.read()
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for sse in source.iter_sse():
            data = sse.json()
            assert (int(sse.id), sse.event) == (data["id"], data["type"])
            events.append(data)
    return events


def succeeded_job(client: TestClient, settings: Settings, body: dict[str, Any]) -> str:
    job_id: str = client.post("/v1/jobs", json=body).json()["id"]
    assert run_job(WorkerContext.from_settings(settings), job_id, "w/1") is Outcome.succeeded
    return job_id


def test_a_job_s_stream_runs_from_queued_to_succeeded_and_ends(
    client: TestClient, settings: Settings
) -> None:
    job_id = succeeded_job(client, settings, ARTICLE_L1)
    events = stream(client, f"/v1/jobs/{job_id}/events")
    types = [e["type"] for e in events]
    assert types[:2] == ["job.queued", "job.running"] and types[-1] == "job.succeeded"
    assert {"job.progress", "job.stage"} <= set(types)
    assert set(types) <= set(EVENT_TYPES)  # a webhook may ask for each
    assert all(e["subject"] == {"type": "job", "id": job_id} for e in events)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    end = events[-1]["data"]
    assert end["result_url"] == f"/v1/jobs/{job_id}/result" and end["attempt"] == 1
    assert end["summary"]["metrics"]["test"] is not None and end["summary"]["n_nonzero"] == 1
    stages = [e["data"] for e in events if e["type"] == "job.stage"]
    history = client.get(f"/v1/jobs/{job_id}/history").json()["items"]
    assert [s["step"] for s in stages] == [row["step"] for row in history]

    # Resumed after any event: exactly the later ones, by header or by ?after=.
    middle = ids[len(ids) // 2]
    resumed = stream(client, f"/v1/jobs/{job_id}/events", {"Last-Event-ID": str(middle)})
    assert [e["id"] for e in resumed] == [i for i in ids if i > middle]
    by_query = stream(client, f"/v1/jobs/{job_id}/events?after={middle}")
    assert by_query == resumed
    assert stream(client, f"/v1/jobs/{job_id}/events", {"Last-Event-ID": str(ids[-1])}) == []


def test_a_cancelled_and_a_failed_job_end_their_streams(
    client: TestClient, settings: Settings
) -> None:
    queued = client.post("/v1/jobs", json=ARTICLE_L1).json()["id"]
    assert client.post(f"/v1/jobs/{queued}/cancel").status_code == 200
    assert [e["type"] for e in stream(client, f"/v1/jobs/{queued}/events")] == [
        "job.queued",
        "job.cancelled",
    ]
    job_id = client.post("/v1/jobs", json=ARTICLE_L1).json()["id"]
    attempts = AttemptStore(make_engine(settings))
    claimed = attempts.claim(job_id, "w/1")
    assert claimed is not None
    assert attempts.fail(job_id, claimed.attempt, "data_error", "the table is empty")
    events = stream(client, f"/v1/jobs/{job_id}/events")
    assert [e["type"] for e in events] == ["job.queued", "job.running", "job.failed"]
    assert events[-1]["data"]["error"] == {"code": "data_error", "message": "the table is empty"}
    assert "result_url" not in events[-1]["data"]


def test_a_sweep_streams_each_trial_s_end_then_its_own(
    client: TestClient, settings: Settings
) -> None:
    sweep = {
        "base": ARTICLE_L1,
        "grid": {"alpha": {"logspace": [-3, 0, 5]}},
        "cv": {"folds": 3, "shuffle": True, "seed": 0},
    }
    sweep_id = client.post("/v1/sweeps", json=sweep).json()["id"]
    assert run_trials(settings, sweep_id) == [Outcome.succeeded] * 4
    events = stream(client, f"/v1/sweeps/{sweep_id}/events")
    types = [e["type"] for e in events]
    assert types == ["sweep.running", *["sweep.task_finished"] * 4, "sweep.succeeded"]
    finished = [e["data"] for e in events if e["type"] == "sweep.task_finished"]
    assert sorted(d["trial"] for d in finished) == [0, 1, 2, 3]
    assert all(len(d["test_score"]) == 5 for d in finished if d["trial"] < 3)
    assert events[-1]["data"]["result_url"] == f"/v1/sweeps/{sweep_id}/result"
    assert client.get(f"/v1/comparisons/{sweep_id}/events").status_code == 404
    # A sweep's trials are not jobs of their own in the feed.
    feed = client.get("/v1/events").json()["items"]
    assert {e["subject"]["type"] for e in feed} == {"sweep"}


def test_the_feed_pages_by_after_and_each_caller_sees_only_its_own(settings: Settings) -> None:
    keyed = Settings.model_validate({**settings.model_dump(), "api_keys": f"{ALICE},{BOB}"})
    with TestClient(create_app(keyed)) as client:
        alice = {"Authorization": f"Bearer {ALICE}"}
        bob = {"Authorization": f"Bearer {BOB}"}
        client.headers.update(alice)
        job_id = succeeded_job(client, keyed, ARTICLE_L1)
        everything = client.get("/v1/events", params={"limit": 500}).json()
        assert everything["items"][-1]["type"] == "job.succeeded"
        pages: list[dict[str, Any]] = []
        after = 0
        while True:
            page = client.get("/v1/events", params={"after": after, "limit": 2}).json()
            if not page["items"]:
                assert page["next_after"] == after
                break
            pages += page["items"]
            after = page["next_after"]
        assert pages == everything["items"]

        assert client.get("/v1/events", headers=bob).json()["items"] == []
        theirs = client.get(f"/v1/jobs/{job_id}/events", headers=bob)
        assert theirs.status_code == 404 and job_id in theirs.json()["detail"]
        assert client.get("/v1/jobs/nope/events").status_code == 404
        assert client.get("/v1/events", headers={"Authorization": "Bearer x"}).status_code == 401


def test_a_last_event_id_from_before_the_pruning_is_410(
    client: TestClient, settings: Settings
) -> None:
    job_id = succeeded_job(client, settings, ARTICLE_L1)
    first = client.get("/v1/events").json()["items"][0]["id"]
    pruned = EventStore(make_engine(settings)).prune(utcnow() + timedelta(seconds=1))
    assert pruned > 2
    gone = client.get(f"/v1/jobs/{job_id}/events", headers={"Last-Event-ID": str(first)})
    assert gone.status_code == 410 and "REGULAB_EVENT_RETENTION_DAYS" in gone.json()["detail"]
    assert client.get("/v1/events", params={"after": first}).status_code == 410
    # Without one: what is left (nothing), and the stream of a finished job ends.
    assert stream(client, f"/v1/jobs/{job_id}/events") == []
    assert client.get("/v1/events").json()["items"] == []
    bad = client.get(f"/v1/jobs/{job_id}/events", headers={"Last-Event-ID": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["header", "Last-Event-ID"]
