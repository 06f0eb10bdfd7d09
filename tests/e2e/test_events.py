"""A client follows a network job's events live through the API process while a real
worker trains it, drops the connection mid-way, resumes with Last-Event-ID, and has
seen every epoch exactly once and the end; on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from api_schemas.webhooks import EVENT_TYPES
from service.config import Settings
from tests.processes import deployment

pytestmark = pytest.mark.e2e

EPOCHS = 10
NETWORK: dict[str, Any] = {
    "dataset": {"name": "digits"},
    "model": {"kind": "mlp", "hidden": [32]},
    "regularizers": [{"kind": "dropout", "rate": 0.2}],
    "training": {"epochs": EPOCHS, "batch_size": 64},
    "baseline": False,
}


def follow(
    client: httpx.Client, url: str, last_event_id: int | None, stop_after_epochs: int | None
) -> list[dict[str, Any]]:
    """The stream's events, leaving after ``stop_after_epochs`` epochs if given."""
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    seen: list[dict[str, Any]] = []
    with connect_sse(client, "GET", url, headers=headers, timeout=120) as source:
        assert source.response.status_code == 200, source.response.read()
        for sse in source.iter_sse():
            seen.append(sse.json())
            epochs = sum(e["type"] == "job.epoch" for e in seen)
            if stop_after_epochs is not None and epochs == stop_after_epochs:
                break  # the connection closes here, mid-job
    return seen


def test_a_client_that_reconnects_sees_each_epoch_once_and_the_end(
    settings: Settings, tmp_path: Path
) -> None:
    with deployment(settings, tmp_path) as d:
        response = d.client.post("/v1/jobs", json=NETWORK)
        assert response.status_code == 202, response.text
        url = f"/v1/jobs/{response.json()['id']}/events"
        first = follow(d.client, url, None, stop_after_epochs=3)
        rest = follow(d.client, url, first[-1]["id"], None)
        seen = first + rest
        ids = [e["id"] for e in seen]
        assert ids == sorted(set(ids)), "an event came twice or out of order"
        epochs = [e["data"]["epoch"] for e in seen if e["type"] == "job.epoch"]
        assert epochs == list(range(1, EPOCHS + 1)), d.logs()
        assert seen[-1]["type"] == "job.succeeded", d.logs()
        assert {e["type"] for e in seen} <= set(EVENT_TYPES)
        assert rest, "the job had not finished when the client left"
        # Nothing was lost: the stream holds every event the job stored.
        feed = d.client.get("/v1/events", params={"limit": 500}).json()["items"]
        assert [e["id"] for e in feed] == ids
