from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app


def test_healthz_and_readyz_on_live_backends(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"store": "ok", "broker": "ok"}


def test_readyz_is_503_naming_the_broker_that_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "unreachable"


def test_readyz_is_503_naming_the_store_that_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["store"].startswith("unreachable")
