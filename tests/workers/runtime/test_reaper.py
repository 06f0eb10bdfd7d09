"""One reaper sweep at a chosen clock, on both stores."""

from __future__ import annotations

from datetime import timedelta

from api_schemas import JobStatus
from service.config import Settings
from service.db import make_engine, utcnow
from service.jobs.attempts import AttemptStore
from service.jobs.store import JobStore
from tests.factories import create_job
from workers.runtime.reaper import reap_once


def setup(settings: Settings) -> tuple[JobStore, AttemptStore, Settings]:
    engine = make_engine(settings)
    policy = Settings.model_validate(
        {**settings.model_dump(), "stale_after_seconds": 30, "max_attempts": 2}
    )
    return JobStore(engine), AttemptStore(engine), policy


def test_a_silent_job_is_requeued_then_failed_at_the_attempt_limit(settings: Settings) -> None:
    jobs, attempts, policy = setup(settings)
    job = create_job(jobs)
    attempts.claim(job.id, "w/1")
    published: list[tuple[str, str]] = []
    assert (
        reap_once(
            attempts,
            lambda job_id, queue: published.append((job_id, queue)),
            policy,
            utcnow() + timedelta(seconds=10),
        )
        == {}
    )
    later = utcnow() + timedelta(seconds=31)
    assert reap_once(
        attempts, lambda job_id, queue: published.append((job_id, queue)), policy, later
    ) == {"requeued": 1, "published": 1}
    assert published == [(job.id, "regulab")]
    attempts.claim(job.id, "w/2")
    assert reap_once(
        attempts,
        lambda job_id, queue: published.append((job_id, queue)),
        policy,
        later + timedelta(seconds=31),
    ) == {"worker_lost": 1}
    failed = jobs.get(job.id)
    assert failed is not None and (failed.status, failed.error_code) == ("failed", "worker_lost")


def test_a_silent_job_being_cancelled_is_cancelled(settings: Settings) -> None:
    jobs, attempts, policy = setup(settings)
    job = create_job(jobs)
    attempts.claim(job.id, "w/1")
    jobs.request_cancel(job.id, job.owner)
    assert reap_once(
        attempts, lambda _job, _queue: None, policy, utcnow() + timedelta(seconds=31)
    ) == {"cancelled": 1}
    assert (jobs.get(job.id) or job).status == JobStatus.cancelled


def test_a_job_stuck_past_its_time_limit_fails(settings: Settings) -> None:
    jobs, attempts, policy = setup(settings)
    job = create_job(jobs)  # max_seconds=60
    attempts.claim(job.id, "w/1")
    attempts.checkpoint(job.id, 1)
    assert reap_once(
        attempts, lambda _job, _queue: None, policy, utcnow() + timedelta(seconds=91)
    ) == {"timed_out": 1}
    assert (jobs.get(job.id) or job).error_code == "time_limit"


def test_unpublished_jobs_are_published_until_the_broker_refuses(settings: Settings) -> None:
    jobs, attempts, policy = setup(settings)
    first, second = create_job(jobs), create_job(jobs)
    jobs.clear_published(first.id)
    jobs.clear_published(second.id)

    def broker_down(job_id: str, queue: str) -> None:
        raise ConnectionError("broker down")

    assert reap_once(attempts, broker_down, policy) == {}
    published: list[tuple[str, str]] = []
    assert reap_once(attempts, lambda job_id, queue: published.append((job_id, queue)), policy) == {
        "published": 2
    }
    assert [job_id for job_id, _ in published] == [first.id, second.id]
    assert (
        reap_once(attempts, lambda job_id, queue: published.append((job_id, queue)), policy) == {}
    )  # published just now
