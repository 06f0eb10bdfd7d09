"""Real stores and brokers for tests: one PostgreSQL database and one Redis db
number per test run, created here and removed at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis

PG_ADMIN_URL = os.environ.get(
    "REGULAB_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
_LOCK_KEY = "regulab:test-run-lock"


def services_required() -> bool:
    """In CI the Redis/PostgreSQL runs must fail, not skip, when a service is down."""
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


def reset(database_url: str, broker_url: str) -> None:
    """Empty this run's tables and queue, so each test starts from nothing."""
    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        connection.execute(
            "TRUNCATE jobs, datasets, sweeps, registered_models, events, webhooks CASCADE"
        )
        connection.execute("UPDATE events_pruned SET through_id = 0")
    client = redis.Redis.from_url(broker_url)
    for key in client.scan_iter():
        if key != _LOCK_KEY.encode():
            client.delete(key)
    client.close()
