"""API keys: 401 without one, and each key sees only its own jobs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.factories import job_body

ALICE, BOB = "alice-key-0123456789abcdef", "bob-key-0123456789abcdef00"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keyed(settings: Settings) -> Iterator[TestClient]:
    keyed_settings = settings.model_copy(update={"api_keys": f"{ALICE},{BOB}"})
    keyed_settings = Settings.model_validate(keyed_settings.model_dump())
    with TestClient(create_app(keyed_settings)) as client:
        yield client


def test_v1_needs_a_valid_key_and_health_does_not(keyed: TestClient) -> None:
    for path in ("/v1/jobs", "/v1/datasets"):
        missing = keyed.get(path)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert keyed.get(path, headers=auth("wrong-key-0123456789")).status_code == 401
        assert keyed.get(path, headers={"Authorization": ALICE}).status_code == 401
        assert keyed.get(path, headers=auth(ALICE)).status_code == 200
    assert keyed.post("/v1/jobs", json=job_body()).status_code == 401
    assert keyed.get("/healthz").status_code == 200


def test_a_caller_sees_only_its_own_jobs(keyed: TestClient) -> None:
    job_id = keyed.post("/v1/jobs", json=job_body(), headers=auth(ALICE)).json()["id"]
    assert keyed.get(f"/v1/jobs/{job_id}", headers=auth(ALICE)).status_code == 200
    for method, path in [
        ("GET", f"/v1/jobs/{job_id}"),
        ("GET", f"/v1/jobs/{job_id}/result"),
        ("GET", f"/v1/jobs/{job_id}/history"),
        ("GET", f"/v1/jobs/{job_id}/artifacts/coefficients.png"),
        ("POST", f"/v1/jobs/{job_id}/cancel"),
        ("POST", f"/v1/jobs/{job_id}/retry"),
        ("DELETE", f"/v1/jobs/{job_id}"),
    ]:
        response = keyed.request(method, path, headers=auth(BOB))
        assert response.status_code == 404, (method, path, response.text)
    assert keyed.get("/v1/jobs", headers=auth(BOB)).json()["items"] == []
    assert [j["id"] for j in keyed.get("/v1/jobs", headers=auth(ALICE)).json()["items"]] == [job_id]
    assert keyed.get(f"/v1/jobs/{job_id}", headers=auth(ALICE)).json()["status"] == "queued"


def test_idempotency_keys_are_scoped_to_the_caller(keyed: TestClient) -> None:
    headers = {"Idempotency-Key": "same"}
    alice = keyed.post("/v1/jobs", json=job_body(), headers=auth(ALICE) | headers)
    bob = keyed.post("/v1/jobs", json=job_body(), headers=auth(BOB) | headers)
    assert (alice.status_code, bob.status_code) == (202, 202)
    assert alice.json()["id"] != bob.json()["id"]


def test_short_keys_are_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="16 characters"):
        Settings(api_keys="short")
