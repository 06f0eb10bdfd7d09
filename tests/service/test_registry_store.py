"""RegistryStore under concurrent writers, and the foreign keys behind its 409s."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from service.config import Settings
from service.db import make_engine
from service.jobs.store import JobStore
from service.registry.store import ModelConflictError, RegistryStore
from service.tables import Job, ModelVersion
from tests.factories import create_job

T = TypeVar("T")
INPUT = {"kind": "array", "features": 1}
OWNER = "anonymous"


def at_once(calls: int, call: Callable[[], T]) -> list[T | Exception]:
    """``call`` from ``calls`` threads released together; each result or exception."""
    start = threading.Barrier(calls)

    def run() -> T | Exception:
        start.wait()
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(lambda _: run(), range(calls)))


def test_versions_added_at_once_get_distinct_numbers(settings: Settings) -> None:
    engine = make_engine(settings)
    store, job = RegistryStore(engine), create_job(JobStore(engine))
    store.create(OWNER, "houses")

    def record(_: Job) -> dict[str, Any]:
        return INPUT

    added = at_once(6, lambda: store.add_version(OWNER, "houses", job.id, record)[0].version)
    assert sorted(n for n in added if isinstance(n, int)) == [1, 2, 3, 4, 5, 6], added
    assert store.get(OWNER, "houses").latest == 6
    engine.dispose()


def test_one_of_two_creates_of_a_name_wins(settings: Settings) -> None:
    engine = make_engine(settings)
    store = RegistryStore(engine)
    results = at_once(2, lambda: store.create(OWNER, "houses").name)
    assert sorted(results, key=str)[0] == "houses", results
    assert isinstance(sorted(results, key=str)[1], ModelConflictError), results
    assert [r.model.name for r in store.list_models(OWNER)] == ["houses"]
    engine.dispose()


def test_the_database_refuses_to_delete_a_version_s_job_or_an_aliased_version(
    settings: Settings,
) -> None:
    """The store says why first (409s); the foreign keys hold even for other writers."""
    engine = make_engine(settings)
    store, job = RegistryStore(engine), create_job(JobStore(engine))
    store.create(OWNER, "houses")
    version, _ = store.add_version(OWNER, "houses", job.id, lambda _: INPUT)
    store.set_alias(OWNER, "houses", "production", version.version)
    for statement in (
        delete(Job).where(Job.id == job.id),
        delete(ModelVersion).where(ModelVersion.version == version.version),
    ):
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(statement)
    engine.dispose()
