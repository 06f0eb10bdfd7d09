"""JobService: the job operations the routes call, one method a route."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from api_schemas import (
    ArtifactRef,
    HistoryRow,
    JobAccepted,
    JobCreate,
    JobError,
    JobHistory,
    JobList,
    JobProgress,
    JobRead,
    JobResult,
    JobStatus,
)
from service.artifacts import ArtifactStore
from service.datasets.store import DatasetStore
from service.jobs.policy import MemoryLimit, Queues, TimeLimits
from service.jobs.store import JobActiveError, JobFinishedError, JobStore, NewJob
from service.jobs.validation import check_job_spec, dataset_facts
from service.pagination import page_of
from service.tables import Job, JobArtifact, UploadedDataset

log = logging.getLogger(__name__)

Publisher = Callable[[str, str], None]  # (job id, queue)


class JobNotFoundError(LookupError):
    pass


class JobStateError(RuntimeError):
    """The job is not in a state that allows the operation (409)."""


class IdempotencyConflictError(RuntimeError):
    pass


def job_url(job_id: str) -> str:
    return f"/v1/jobs/{job_id}"


def lifecycle(job: Job) -> dict[str, Any]:
    """What every job row says of its lifecycle, as its read models name it."""
    error = None
    if job.error_code is not None:
        error = JobError(code=job.error_code, message=job.error_message or "")
    return {
        "id": job.id,
        "status": JobStatus(job.status),
        "attempt": job.attempt,
        "max_seconds": job.max_seconds,
        "progress": JobProgress.model_validate(job.progress) if job.progress else None,
        "cancel_requested": job.stop_request == "cancel",
        "created_at": job.created_at,
        "started_at": job.started_at,
        "heartbeat_at": job.heartbeat_at,
        "finished_at": job.finished_at,
        "error": error,
    }


def artifact_refs(artifacts: list[JobArtifact], url: str) -> list[ArtifactRef]:
    """The rows of a job's files, each at ``url``/artifacts/<name>."""
    return [artifact_ref(a, url) for a in artifacts]


def artifact_ref(artifact: JobArtifact, url: str) -> ArtifactRef:
    ready = artifact.state == "ready"
    return ArtifactRef.model_validate(
        {
            "name": artifact.name,
            "media_type": artifact.media_type,
            "url": f"{url}/artifacts/{artifact.name}",
            "size": artifact.size if ready else None,
            "state": artifact.state,
            "error": artifact.error,
        }
    )


def to_read(job: Job) -> JobRead:
    return JobRead(
        **lifecycle(job),
        spec=JobCreate.model_validate(job.spec),
        retry_of=job.retry_of,
        result_url=f"{job_url(job.id)}/result" if job.status == JobStatus.succeeded else None,
    )


def to_accepted(job: Job) -> JobAccepted:
    return JobAccepted(id=job.id, status=JobStatus(job.status), url=job_url(job.id))


def request_hash(spec: JobCreate) -> str:
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class JobService:
    """Built once per API process: the stores a job touches, the publisher that queues
    it and the server's policy (time limits, queues)."""

    store: JobStore
    datasets: DatasetStore
    artifacts: ArtifactStore
    publish: Publisher
    limits: TimeLimits
    queues: Queues
    memory: MemoryLimit
    #: Told each deleted job's id (the predictions' cards forget it).
    deleted: Callable[[str], None]

    def uploaded(self, spec: JobCreate, owner: str) -> UploadedDataset | None:
        """The caller's uploaded dataset ``spec`` names (None for a built-in one, or when
        there is no such upload: the spec's check says so)."""
        return self.datasets.get(spec.dataset.id, owner) if spec.dataset.id else None

    def place(
        self,
        spec: JobCreate,
        owner: str,
        dataset: UploadedDataset | None,
        at: tuple[str, ...] = (),
    ) -> NewJob:
        """The checked ``spec`` as this server runs it: its time limit and its queue, or a
        SpecError (its field under ``at``) when it would need more memory than this server
        gives a job."""
        self.memory.check(spec, dataset_facts(spec, dataset), at)
        return NewJob(spec, owner, self.limits.resolve(spec), self.queues.for_spec(spec), dataset)

    def submit(
        self, spec: JobCreate, owner: str, idempotency_key: str | None = None
    ) -> tuple[JobAccepted, bool]:
        """Check, store, then publish. Returns the job and whether it is new: a repeated
        Idempotency-Key with the same body returns the first job."""
        uploaded = self.uploaded(spec, owner)
        check_job_spec(spec, uploaded)
        job = self.place(spec, owner, uploaded)
        digest = request_hash(spec)
        if idempotency_key is not None:
            existing = self._replay(owner, idempotency_key, digest)
            if existing is not None:
                return to_accepted(existing), False
        try:
            row = self.store.create(job, idempotency_key=idempotency_key, request_hash=digest)
        except IntegrityError:
            # Another request with the same key won the insert a moment ago.
            if idempotency_key is None:
                raise
            existing = self._replay(owner, idempotency_key, digest)
            if existing is None:
                raise
            return to_accepted(existing), False
        self.publish_created(row)
        return to_accepted(row), True

    def _replay(self, owner: str, key: str, digest: str) -> Job | None:
        existing = self.store.find_by_idempotency_key(owner, key)
        if existing is not None and existing.request_hash != digest:
            raise IdempotencyConflictError(
                f"Idempotency-Key {key!r} was used for job {existing.id} with another body"
            )
        return existing

    def publish_created(self, job: Job) -> None:
        """The row is committed; if the broker is down the job stays queued and the
        workers' reaper publishes it when the broker is back."""
        try:
            self.publish(job.id, job.queue)
        except Exception as exc:
            log.warning("publishing job %s failed (%s); the reaper will publish it", job.id, exc)
            self.store.clear_published(job.id)

    def _owned(self, job_id: str, owner: str) -> Job:
        job = self.store.get(job_id, owner=owner)
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    def get(self, job_id: str, owner: str) -> JobRead:
        return to_read(self._owned(job_id, owner))

    def page(self, owner: str, status: JobStatus | None, cursor: str | None, limit: int) -> JobList:
        """The caller's jobs (not sweeps' trials), newest first, a page at a time."""
        rows = self.store.page(owner=owner, status=status, cursor=cursor, limit=limit)
        rows, next_cursor = page_of(rows, limit)
        return JobList(items=[to_read(job) for job in rows], next_cursor=next_cursor)

    def result(self, job_id: str, owner: str) -> JobResult:
        job = self.store.get(job_id, owner=owner, with_artifacts=True)
        if job is None:
            raise JobNotFoundError(job_id)
        if job.sweep_id is not None:
            raise JobStateError(
                f"job {job.id} is trial {job.trial} of sweep or comparison {job.sweep_id}, "
                "whose result holds it"
            )
        if job.status != JobStatus.succeeded or job.result is None:
            reason = f": {job.error_message}" if job.error_message else ""
            raise JobStateError(
                f"job {job.id} is {job.status}; its result exists once it has succeeded"
                if job.status in (JobStatus.queued, JobStatus.running)
                else f"job {job.id} {job.status} and has no result{reason}"
            )
        artifacts = artifact_refs(job.artifacts, job_url(job.id))
        return JobResult.model_validate({**job.result, "job_id": job.id, "artifacts": artifacts})

    def history(self, job_id: str, owner: str) -> JobHistory:
        self._owned(job_id, owner)
        return JobHistory(
            job_id=job_id,
            items=[
                HistoryRow(
                    attempt=r.attempt,
                    step=r.step,
                    kind=r.kind,
                    data=r.data,
                    created_at=r.created_at,
                )
                for r in self.store.history(job_id)
            ],
        )

    def cancel(self, job_id: str, owner: str) -> JobRead:
        _not_a_trial(self._owned(job_id, owner))
        try:
            job = self.store.request_cancel(job_id, owner)
        except JobFinishedError as exc:
            raise JobStateError(f"{exc}; only queued or running jobs can be cancelled") from exc
        if job is None:
            raise JobNotFoundError(job_id)
        return to_read(job)

    def retry(self, job_id: str, owner: str) -> JobAccepted:
        """A new job with the spec of a failed or cancelled one, linked by ``retry_of``."""
        original = self._owned(job_id, owner)
        _not_a_trial(original)
        if original.status not in (JobStatus.failed, JobStatus.cancelled):
            raise JobStateError(
                f"job {job_id} is {original.status}; only failed or cancelled jobs can be retried"
            )
        spec = JobCreate.model_validate(original.spec)
        uploaded = self.uploaded(spec, owner)
        if spec.dataset.id and uploaded is None:
            raise JobStateError(f"job {job_id} used dataset {spec.dataset.id}, which was deleted")
        job = self.store.create(
            self.place(spec, owner, uploaded),
            request_hash=request_hash(spec),
            retry_of=original.id,
        )
        self.publish_created(job)
        return to_accepted(job)

    def delete(self, job_id: str, owner: str) -> None:
        _not_a_trial(self._owned(job_id, owner))
        try:
            deleted = self.store.delete(job_id, owner)
        except JobActiveError as exc:
            raise JobStateError(str(exc)) from exc
        if not deleted:
            raise JobNotFoundError(job_id)
        self.deleted(job_id)
        self.artifacts.delete_prefix(f"jobs/{job_id}")


def _not_a_trial(job: Job) -> None:
    if job.sweep_id is not None:
        raise JobStateError(
            f"job {job.id} is trial {job.trial} of sweep {job.sweep_id}; cancel the sweep instead"
        )
