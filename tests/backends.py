"""Real stores and brokers for tests: one PostgreSQL database, one Redis db number and
one RabbitMQ virtual host per test run, created here and removed at the end."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from kombu.connection import Connection

PG_ADMIN_URL = os.environ.get(
    "REGULAB_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
_LOCK_KEY = "regulab:test-run-lock"
RABBITMQ_URL = os.environ.get("REGULAB_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672")
_VHOST_PREFIX = "regulab_test_"
#: A run's vhost older than this was left by a run that was killed: deleted by the next.
_STALE_VHOST_SECONDS = 6 * 3600


def services_required() -> bool:
    """In CI the PostgreSQL, Redis and RabbitMQ runs must fail, not skip, when a service
    is down."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable: {exc}"
    if services_required():
        pytest.fail(message + " (CI requires it; .ci/run starts it)")
    pytest.skip(message)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database for this run; yields its SQLAlchemy URL and drops it after."""
    name = f"regulab_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", exc)
        raise
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_db() -> Iterator[int]:
    """Claim an unused Redis db number (1-15) for this run; flush it before and after."""
    run = uuid.uuid4().hex
    try:
        redis.Redis(REDIS_HOST, REDIS_PORT, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
        raise
    for number in range(1, 16):
        client = redis.Redis(REDIS_HOST, REDIS_PORT, db=number)
        if client.set(_LOCK_KEY, run, nx=True, ex=3600):
            break
    else:
        pytest.fail("every Redis db 1-15 is claimed by another test run")
    try:
        for key in client.scan_iter():
            if key != _LOCK_KEY.encode():
                client.delete(key)
        yield number
    finally:
        client.flushdb()
        client.close()


def redis_url(db: int) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"


def rabbitmqctl(*args: str) -> str:
    """Run ``rabbitmqctl`` (it needs root or the rabbitmq user, on the broker's host)."""
    found = subprocess.run(
        ["rabbitmqctl", "--quiet", *args], capture_output=True, text=True, timeout=60, check=True
    )
    return found.stdout


@contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """A virtual host of this run's own, so its queues are apart from any other run's;
    yields its broker URL and deletes it, queues and all, after. Vhosts of runs that
    were killed are deleted once they are old."""
    try:
        with _amqp_connection(f"{RABBITMQ_URL}/") as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        unavailable("RabbitMQ", exc)
        raise
    if shutil.which("rabbitmqctl") is None:
        unavailable("RabbitMQ's rabbitmqctl", FileNotFoundError("rabbitmqctl"))
    name = f"{_VHOST_PREFIX}{int(time.time())}_{uuid.uuid4().hex[:8]}"
    try:
        _delete_stale_vhosts()
        rabbitmqctl("add_vhost", name)
        user = urlsplit(RABBITMQ_URL).username or "guest"
        rabbitmqctl("set_permissions", "--vhost", name, user, ".*", ".*", ".*")
    except (OSError, subprocess.SubprocessError) as exc:
        unavailable("rabbitmqctl", exc)
        raise
    try:
        yield f"{RABBITMQ_URL}/{name}"
    finally:
        rabbitmqctl("delete_vhost", name)


def _amqp_connection(url: str) -> Any:
    return Connection(url, connect_timeout=3)  # type: ignore[no-untyped-call]


def _delete_stale_vhosts() -> None:
    for name in rabbitmqctl("list_vhosts", "--no-table-headers", "name").split():
        stamp = name.removeprefix(_VHOST_PREFIX).split("_")[0]
        old = stamp.isdigit() and time.time() - int(stamp) > _STALE_VHOST_SECONDS
        if name.startswith(_VHOST_PREFIX) and old:
            rabbitmqctl("delete_vhost", name)


def reset(database_url: str, broker_url: str, queues: Sequence[str]) -> None:
    """Empty this run's tables and its broker (on RabbitMQ, ``queues``), so each test
    starts from nothing."""
    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        connection.execute(
            "TRUNCATE jobs, datasets, sweeps, registered_models, events, webhooks CASCADE"
        )
        connection.execute("UPDATE events_pruned SET through_id = 0")
    if broker_url.startswith("amqp"):
        # Purged, not deleted: kombu remembers the queues a connection declared, in
        # a pool that every app of this process shares, and would publish to a deleted
        # one without declaring it again.
        with _amqp_connection(broker_url) as broker:
            for queue in queues:
                # One never declared is a channel error (NOT_FOUND): nothing to purge.
                with contextlib.suppress(*broker.channel_errors):
                    broker.channel().queue_purge(queue)
        return
    client = redis.Redis.from_url(broker_url)
    for key in client.scan_iter():
        if key != _LOCK_KEY.encode():
            client.delete(key)
    client.close()
