from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.object_storage import S3Server
from tests.processes import free_port


@pytest.mark.parametrize("settings", ["embedded", "services", "rabbitmq"], indirect=True)
def test_healthz_and_readyz_on_live_backends(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"store": "ok", "broker": "ok", "storage": "ok"}


@pytest.mark.parametrize(
    "broker_url",
    [
        "redis://127.0.0.1:1/0",
        "amqp://guest:guest@127.0.0.1:1//",
        "amqp://guest:not-the-password@127.0.0.1:5672//",
    ],
)
def test_readyz_is_503_naming_the_broker_that_does_not_answer(
    tmp_path: Path, broker_url: str
) -> None:
    settings = Settings(data_dir=tmp_path, broker_url=broker_url)
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


def test_readyz_names_storage_that_does_not_answer(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    def readyz(bucket: str, endpoint: str) -> tuple[int, str]:
        settings = Settings(
            data_dir=tmp_path, storage_url=f"s3://{bucket}/x", s3_endpoint_url=endpoint
        )
        with TestClient(create_app(settings)) as client:
            response = client.get("/readyz")
        return response.status_code, response.json()["checks"]["storage"]

    assert readyz(s3_bucket, s3_server.endpoint_url) == (200, "ok")
    for bucket, endpoint in [
        (s3_bucket, f"http://127.0.0.1:{free_port()}"),  # nothing listens
        ("no-such-bucket", s3_server.endpoint_url),
    ]:
        status, storage = readyz(bucket, endpoint)
        assert status == 503 and storage.startswith("unreachable: "), storage
