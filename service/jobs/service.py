"""Job operations, called by the routes (one function a route)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import BinaryIO

from api_schemas import (
    ArtifactRef,
    JobCreate,
    JobError,
    JobList,
    JobRead,
    JobResult,
    JobStatus,
)
from service.artifacts import ArtifactStore
from service.jobs.store import JobStore, encode_cursor
from service.jobs.validation import check_job_spec
from service.tables import Job

log = logging.getLogger(__name__)

Publisher = Callable[[str], None]


class JobNotFoundError(LookupError):
    pass


class JobNotFinishedError(RuntimeError):
    def __init__(self, job: Job) -> None:
        super().__init__(
            f"job {job.id} is {job.status}; its result exists once it has succeeded"
            if job.status in (JobStatus.queued, JobStatus.running)
            else f"job {job.id} {job.status} and has no result"
            + (f": {job.error_message}" if job.error_message else "")
        )


class BrokerUnavailableError(RuntimeError):
    pass


def job_url(job_id: str) -> str:
    return f"/v1/jobs/{job_id}"


def to_read(job: Job) -> JobRead:
    error = None
    if job.error_code is not None:
        error = JobError(code=job.error_code, message=job.error_message or "")
    return JobRead(
        id=job.id,
        status=JobStatus(job.status),
        spec=JobCreate.model_validate(job.spec),
        attempt=job.attempt,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error=error,
        result_url=f"{job_url(job.id)}/result" if job.status == JobStatus.succeeded else None,
    )


def submit_job(store: JobStore, publish: Publisher, spec: JobCreate) -> Job:
    """Check, store, then publish: the row is committed before its message exists."""
    check_job_spec(spec)
    job = store.create(spec)
    try:
        publish(job.id)
    except Exception as exc:
        log.error("publishing job %s failed: %s", job.id, exc)
        store.mark_unpublished(job.id, f"the broker did not accept the job: {exc}")
        raise BrokerUnavailableError("the job broker is unavailable; try again later") from exc
    return job


def get_job(store: JobStore, job_id: str) -> JobRead:
    job = store.get(job_id)
    if job is None:
        raise JobNotFoundError(job_id)
    return to_read(job)


def list_jobs(store: JobStore, status: JobStatus | None, cursor: str | None, limit: int) -> JobList:
    rows = store.page(status=status, cursor=cursor, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit]
    return JobList(
        items=[to_read(job) for job in rows],
        next_cursor=encode_cursor(rows[-1]) if more else None,
    )


def get_result(store: JobStore, job_id: str) -> JobResult:
    job = store.get(job_id, with_artifacts=True)
    if job is None:
        raise JobNotFoundError(job_id)
    if job.status != JobStatus.succeeded or job.result is None:
        raise JobNotFinishedError(job)
    artifacts = [
        ArtifactRef(
            name=a.name,
            media_type=a.media_type,
            url=f"{job_url(job.id)}/artifacts/{a.name}",
            size=a.size,
        )
        for a in job.artifacts
    ]
    return JobResult.model_validate({**job.result, "job_id": job.id, "artifacts": artifacts})


def open_artifact(
    store: JobStore, artifacts: ArtifactStore, job_id: str, name: str
) -> tuple[BinaryIO, str]:
    artifact = store.get_artifact(job_id, name)
    if artifact is None:
        raise JobNotFoundError(f"{job_id}/{name}")
    return artifacts.open(artifact.key), artifact.media_type
