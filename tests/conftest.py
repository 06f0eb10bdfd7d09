from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.migrate import upgrade_database
from tests import backends
from tests.object_storage import S3Server, use_test_credentials

# Tests never reach the network: a dataset is downloaded only from a test's own server
# (tests/workers/data/test_downloads.py), and every Settings the tests make, and the
# processes they start, inherit this.
os.environ["REGULAB_DOWNLOAD_DATASETS"] = "false"
# s3:// tests talk only to this session's own S3 server on loopback.
use_test_credentials()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 API (moto's server mode) on a loopback port, for the session."""
    server = S3Server(tmp_path_factory.mktemp("s3"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new, empty bucket for one test."""
    return s3_server.new_bucket()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with backends.postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_broker_url() -> Iterator[str]:
    with backends.redis_db() as db:
        yield backends.redis_url(db)


@pytest.fixture(scope="session")
def rabbitmq_broker_url() -> Iterator[str]:
    with backends.rabbitmq_vhost() as url:
        yield url


def make_settings(backend: str, folder: Path, request: pytest.FixtureRequest) -> Settings:
    """Fresh, migrated settings for one backend:

    - ``embedded``: the no-server default, SQLite and the filesystem broker in ``folder``;
    - ``services``: the production shape, this run's PostgreSQL database and Redis db,
      emptied first;
    - ``rabbitmq``: the same database with RabbitMQ as the broker, this run's vhost
      (its queues emptied first).
    """
    if backend == "embedded":
        settings = Settings(data_dir=folder / "data")
        upgrade_database(settings)
        return settings
    database_url: str = request.getfixturevalue("postgres_url")
    broker = {"services": "redis_broker_url", "rabbitmq": "rabbitmq_broker_url"}[backend]
    broker_url: str = request.getfixturevalue(broker)
    settings = Settings(data_dir=folder / "data", database_url=database_url, broker_url=broker_url)
    upgrade_database(settings)
    queues = [settings.queue, settings.gpu_queue, settings.webhook_queue, settings.figure_queue]
    backends.reset(settings.sqlalchemy_url, broker_url, queues)
    return settings


@pytest.fixture
def embedded_settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    return make_settings("embedded", tmp_path, request)


@pytest.fixture(params=["embedded", "services"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Each test that takes this runs on both deployments (a test adds ``rabbitmq`` with
    ``@pytest.mark.parametrize("settings", [...], indirect=True)``)."""
    return make_settings(request.param, tmp_path, request)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app on a real store and a real broker (both backends)."""
    from service.main import create_app

    with TestClient(create_app(settings)) as client:
        yield client
