"""Webhooks over HTTP on both backends, their deliveries sent by the workers' own code in
this process (the dispatcher's claim and the task's Deliverer) to a receiver on loopback
that verifies each with the standardwebhooks package."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.db import make_engine
from service.main import create_app
from service.webhooks.store import WebhookStore
from tests.api.test_auth import ALICE, BOB
from tests.api.test_events import ARTICLE_L1, succeeded_job
from tests.webhook_receiver import Receiver, receiver
from workers.runtime.webhooks import WebhookDispatcher, deliverer_from_settings


@pytest.fixture
def hooked(settings: Settings) -> Settings:
    """Webhooks to loopback allowed, retries 50 ms apart."""
    return settings.model_copy(
        update={"webhook_allow_private": True, "webhook_retry_schedule": "0.05"}
    )


@pytest.fixture
def api(hooked: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(hooked)) as client:
        yield client


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def send_due(settings: Settings, rounds: int = 1, pause: float = 0.0) -> list[str | None]:
    """What the workers do: the dispatcher claims what is due, a task sends each."""
    store = WebhookStore(make_engine(settings))
    dispatcher = WebhookDispatcher(store, lambda _id: None, settings)
    deliverer = deliverer_from_settings(settings, store)
    outcomes = []
    for _ in range(rounds):
        time.sleep(pause)
        outcomes += [deliverer.deliver(i) for i in store.claim_due(dispatcher.lease)]
    return outcomes


def create(client: TestClient, hooks: Receiver, path: str, events: list[str]) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": hooks.url(path), "events": events})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    hooks.secrets.append(created["secret"])
    return created


def test_a_job_s_end_is_delivered_signed_and_verifiable(
    api: TestClient, hooked: Settings, hooks: Receiver
) -> None:
    hook = create(api, hooks, "/hook", ["job.succeeded", "job.failed"])
    assert hook["secret"].startswith("whsec_") and hook["enabled"] is True
    shown = api.get(f"/v1/webhooks/{hook['id']}").json()
    assert "secret" not in shown and shown["events"] == ["job.succeeded", "job.failed"]
    assert [h["id"] for h in api.get("/v1/webhooks").json()["items"]] == [hook["id"]]

    job_id = succeeded_job(api, hooked, ARTICLE_L1)
    assert send_due(hooked) == ["succeeded"]  # job.queued and job.running were not asked for
    (got,) = hooks.at("/hook")
    assert got.verified, got.headers
    assert got.headers["webhook-id"].startswith("msg_")
    message = got.message
    assert message["type"] == "job.succeeded"
    assert message["data"]["subject"] == {"type": "job", "id": job_id}
    assert message["data"]["data"]["result_url"] == f"/v1/jobs/{job_id}/result"
    deliveries = api.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert [(d["id"], d["status"], d["type"]) for d in deliveries] == [
        (got.headers["webhook-id"], "succeeded", "job.succeeded")
    ]
    (attempt,) = deliveries[0]["attempts"]
    assert attempt["status_code"] == 200 and attempt["response"] == "ok"
    assert attempt["duration_ms"] > 0 and attempt["error"] is None
    assert send_due(hooked) == []  # delivered once


def test_retries_keep_the_webhook_id_and_a_refusal_is_not_retried(
    api: TestClient, hooked: Settings, hooks: Receiver
) -> None:
    hooks.script = {"/flaky": [500, 500, 200], "/gone": [410], "/moved": [307]}
    for path in ("/flaky", "/gone", "/moved"):
        create(api, hooks, path, ["job.succeeded"])
    succeeded_job(api, hooked, ARTICLE_L1)
    outcomes = send_due(hooked, rounds=8, pause=0.1)
    assert sorted(o for o in outcomes if o) == sorted(
        ["retry", "retry", "succeeded", "failed", "failed"]
    )
    flaky = hooks.at("/flaky")
    assert len(flaky) == 3 and len({r.headers["webhook-id"] for r in flaky}) == 1
    assert all(r.verified for r in flaky)
    assert len({r.headers["webhook-timestamp"] for r in flaky}) >= 1
    assert len(hooks.at("/gone")) == 1
    assert len(hooks.at("/moved")) == 1 and hooks.at("/redirected") == []  # not followed

    hook_ids = {
        h["url"].rsplit("/", 1)[-1]: h["id"] for h in api.get("/v1/webhooks").json()["items"]
    }
    gone = api.get(f"/v1/webhooks/{hook_ids['gone']}/deliveries").json()["items"][0]
    assert gone["status"] == "failed" and gone["next_attempt_at"] is None
    assert gone["attempts"][0]["status_code"] == 410
    assert len(gone["attempts"][0]["response"]) == 1024  # the first 1 KB of 3,000 bytes
    flaky_log = api.get(f"/v1/webhooks/{hook_ids['flaky']}/deliveries").json()["items"][0]
    assert [a["status_code"] for a in flaky_log["attempts"]] == [500, 500, 200]

    # Redelivered on request, with the same id.
    redo = api.post(f"/v1/webhooks/{hook_ids['gone']}/deliveries/{gone['id']}/redeliver")
    assert redo.status_code == 202 and redo.json()["status"] == "pending"
    send_due(hooked)
    again = hooks.at("/gone")
    assert len(again) == 2 and again[1].headers["webhook-id"] == gone["id"]


def test_a_rotated_secret_signs_beside_the_old_one(
    api: TestClient, hooked: Settings, hooks: Receiver
) -> None:
    hook = create(api, hooks, "/hook", ["job.succeeded"])
    old = hook["secret"]
    rotated = api.post(f"/v1/webhooks/{hook['id']}/rotate-secret").json()
    assert rotated["secret"] != old and rotated["previous_secret_expires_at"]
    test = api.post(f"/v1/webhooks/{hook['id']}/test")
    assert test.status_code == 202 and test.json()["type"] == "webhook.test"
    send_due(hooked)
    (got,) = hooks.at("/hook")
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, rotated["secret"]):
        hooks.secrets = [secret]
        assert hooks.verify(got.body, got.headers), secret
    hooks.secrets = ["whsec_" + "A" * 32]
    assert not hooks.verify(got.body, got.headers)


def test_an_endpoint_failing_for_long_enough_is_disabled(hooked: Settings, hooks: Receiver) -> None:
    settings = hooked.model_copy(update={"webhook_disable_after_hours": 0.5 / 3600})
    hooks.script = {"/down": [503]}
    with TestClient(create_app(settings)) as client:
        hook = create(client, hooks, "/down", ["job.succeeded"])
        client.post(f"/v1/webhooks/{hook['id']}/test")
        send_due(settings, rounds=12, pause=0.1)
        shown = client.get(f"/v1/webhooks/{hook['id']}").json()
        assert shown["enabled"] is False and shown["failing_since"]
        assert "REGULAB_WEBHOOK_DISABLE_AFTER_HOURS" in shown["disabled_reason"]
        # A disabled webhook is queued nothing more.
        before = len(hooks.at("/down"))
        succeeded_job(client, settings, ARTICLE_L1)
        send_due(settings)
        assert len(hooks.at("/down")) == before


def test_an_address_that_turned_private_is_refused_at_send_time(
    api: TestClient, hooked: Settings, hooks: Receiver
) -> None:
    """Created while private addresses were allowed; sent by a server that refuses them
    (as a name that resolved elsewhere at creation and to loopback now would be)."""
    create(api, hooks, "/hook", ["job.succeeded"])
    succeeded_job(api, hooked, ARTICLE_L1)
    strict = hooked.model_copy(update={"webhook_allow_private": False})
    assert send_due(strict) == ["failed"]
    assert hooks.at("/hook") == []
    hook_id = api.get("/v1/webhooks").json()["items"][0]["id"]
    (attempt,) = api.get(f"/v1/webhooks/{hook_id}/deliveries").json()["items"][0]["attempts"]
    assert attempt["status_code"] is None and "loopback" in attempt["error"]


@pytest.mark.parametrize(
    ("url", "events", "loc", "says"),
    [
        ("http://127.0.0.1:9/hook", ["job.succeeded"], ["body", "url"], "loopback"),
        ("http://10.1.2.3/hook", ["job.succeeded"], ["body", "url"], "private"),
        ("http://169.254.169.254/latest", ["job.succeeded"], ["body", "url"], "link-local"),
        ("http://[::1]:8000/", ["job.succeeded"], ["body", "url"], "loopback"),
        ("ftp://example.com/x", ["job.succeeded"], ["body", "url"], "http or https"),
        ("http://no-such-host.invalid/x", ["job.succeeded"], ["body", "url"], "resolve"),
        ("https://example.com/x", ["job.finished"], ["body", "events", 0], "job.succeeded"),
        ("https://example.com/x", [], ["body", "events"], "at least 1"),
    ],
)
def test_what_a_webhook_may_not_be(
    client: TestClient, url: str, events: list[str], loc: list[Any], says: str
) -> None:
    response = client.post("/v1/webhooks", json={"url": url, "events": events})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == loc and says in error["msg"], error
    assert client.get("/v1/webhooks").json()["items"] == []


def test_each_caller_sees_and_is_told_of_only_its_own(hooked: Settings, hooks: Receiver) -> None:
    keyed = Settings.model_validate({**hooked.model_dump(), "api_keys": f"{ALICE},{BOB}"})
    alice = {"Authorization": f"Bearer {ALICE}"}
    bob = {"Authorization": f"Bearer {BOB}"}
    with TestClient(create_app(keyed)) as client:
        client.headers.update(bob)
        bobs = create(client, hooks, "/bob", ["job.succeeded"])
        client.headers.update(alice)
        for path in ("", "/deliveries", "/rotate-secret", "/test"):
            method = client.get if path in ("", "/deliveries") else client.post
            assert method(f"/v1/webhooks/{bobs['id']}{path}").status_code == 404, path
        assert client.delete(f"/v1/webhooks/{bobs['id']}").status_code == 404
        assert client.get("/v1/webhooks").json()["items"] == []
        succeeded_job(client, keyed, ARTICLE_L1)  # Alice's job: nothing for Bob's webhook
        assert send_due(keyed) == []
        client.headers.update(bob)
        assert client.delete(f"/v1/webhooks/{bobs['id']}").status_code == 204
        assert client.get(f"/v1/webhooks/{bobs['id']}").status_code == 404
