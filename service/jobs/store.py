"""JobStore: the API's reads and changes of job rows, each in its own transaction.

State changes are conditional UPDATEs (``WHERE status = ...``), so processes racing
on one job cannot both win, on SQLite and PostgreSQL alike. The worker's side is
``service.jobs.attempts``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from api_schemas import JobCreate, JobStatus
from service.db import make_session_factory, transaction, utcnow
from service.events import kinds as events
from service.events.kinds import JOB_FACT_COLUMNS, JobFacts
from service.events.record import record
from service.pagination import older_than
from service.tables import (
    Base,
    Job,
    JobArtifact,
    JobHistory,
    ModelVersion,
    RegisteredModel,
    Sweep,
    UploadedDataset,
)

FINISHED = (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)
#: A job row's columns that make its JobFacts (what its events need), for ``returning``.
FACTS = tuple(getattr(Job, column) for column in JOB_FACT_COLUMNS)


class JobFinishedError(RuntimeError):
    """The operation needs an unfinished job."""


class JobActiveError(RuntimeError):
    """The job cannot be deleted: it is unfinished, or a model version points at it."""


@dataclass(frozen=True)
class NewJob:
    """A checked spec as the server will run it: whose it is, how long it may run, the
    queue it goes to and the uploaded dataset it reads (None for a built-in one)."""

    spec: JobCreate
    owner: str
    max_seconds: int
    queue: str = "regulab"
    dataset: UploadedDataset | None = None

    def row(self, now: datetime, **links: str | int | None) -> dict[str, Any]:
        """Its row in the jobs table, queued and published at ``now``: the one place a
        job row is built, for a job on its own (``links``: ``idempotency_key``,
        ``request_hash``, ``retry_of``) and for a sweep's trial (``sweep_id``, ``trial``)."""
        dataset = self.dataset
        return {
            "id": str(uuid.uuid4()),
            "owner": self.owner,
            "status": JobStatus.queued.value,
            "spec": self.spec.model_dump(mode="json"),
            "dataset_name": dataset.name if dataset else self.spec.dataset.name or "",
            "dataset_id": dataset.id if dataset else None,
            "dataset_hash": dataset.content_hash if dataset else None,
            "model_kind": self.spec.model.kind,
            "max_seconds": self.max_seconds,
            "queue": self.queue,
            "attempt": 0,
            "created_at": now,
            "published_at": now,
            **links,
        }


class JobStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    # -- the API's side ------------------------------------------------------------

    def create(
        self,
        job: NewJob,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        retry_of: str | None = None,
    ) -> Job:
        """Insert a queued job. ``published_at`` is set now, optimistically: the caller
        clears it if the publish fails, and the reaper republishes either way."""
        values = job.row(
            utcnow(), idempotency_key=idempotency_key, request_hash=request_hash, retry_of=retry_of
        )
        # A Core INSERT on the table: the ORM's unit of work costs more than the row
        # on the POST path (bench/README.md).
        facts = JobFacts(values["id"], job.owner, 0)
        with self.engine.begin() as connection:
            connection.execute(insert(Base.metadata.tables["jobs"]).values(values))
            record(connection, *events.queued(facts))
        return Job(**values)

    def find_by_idempotency_key(self, owner: str, key: str) -> Job | None:
        with self.sessions() as session:
            return session.scalars(
                select(Job).where(Job.owner == owner, Job.idempotency_key == key)
            ).one_or_none()

    def get(
        self,
        job_id: str,
        *,
        owner: str | None = None,
        with_artifacts: bool = False,
        scoring: bool = False,
    ) -> Job | None:
        """A training job (a sweep's trial too), or with ``scoring`` a scoring: the one
        is never found as the other."""
        query = select(Job).where(Job.id == job_id, _kind(scoring))
        if owner is not None:
            query = query.where(Job.owner == owner)
        if with_artifacts:
            query = query.options(selectinload(Job.artifacts))
        with self.sessions() as session:
            return session.scalars(query).one_or_none()

    def state(self, job_id: str, owner: str) -> tuple[str, int] | None:
        """The caller's job's status and attempt, in one light query (the predictions'
        check that a cached model is still the job's)."""
        query = select(Job.status, Job.attempt).where(
            Job.id == job_id, Job.owner == owner, _kind(scoring=False)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else (row.status, row.attempt)

    def page(
        self, *, owner: str, status: JobStatus | None, cursor: str | None, limit: int
    ) -> list[Job]:
        """Newest first; ``limit + 1`` rows are read so the caller knows if more exist."""
        query = (
            select(Job)
            # folds are listed by sweep, scorings by the job they score
            .where(Job.owner == owner, Job.sweep_id.is_(None), _kind(scoring=False))
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(limit + 1)
        )
        if status is not None:
            query = query.where(Job.status == status)
        if cursor:  # an empty ?cursor= is the first page, as an absent one
            query = query.where(older_than(cursor, Job.created_at, Job.id))
        with self.sessions() as session:
            return list(session.scalars(query))

    def get_artifact(
        self, job_id: str, name: str, owner: str, *, scoring: bool = False
    ) -> JobArtifact | None:
        with self.sessions() as session:
            return session.scalars(
                select(JobArtifact)
                .join(Job)
                .where(
                    JobArtifact.job_id == job_id,
                    JobArtifact.name == name,
                    Job.owner == owner,
                    _kind(scoring),
                )
            ).one_or_none()

    def history(self, job_id: str) -> list[JobHistory]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(JobHistory)
                    .where(JobHistory.job_id == job_id)
                    .order_by(JobHistory.attempt, JobHistory.step)
                )
            )

    def clear_published(self, job_id: str) -> None:
        """The publish failed: leave the job queued for the reaper to publish."""
        set_where(self.sessions, job_id, {"published_at": None}, status=JobStatus.queued)

    def request_cancel(self, job_id: str, owner: str, *, scoring: bool = False) -> Job | None:
        """A queued job is cancelled at once; a running one is asked to stop at its next
        checkpoint. None when there is no such job; JobFinishedError when it is over."""
        for _ in range(3):  # the job may move from queued to running under us
            if self._cancel_queued(job_id, owner) or set_where(
                self.sessions,
                job_id,
                {"stop_request": "cancel"},
                status=JobStatus.running,
                owner=owner,
            ):
                return self.get(job_id, scoring=scoring)
            job = self.get(job_id, owner=owner, scoring=scoring)
            if job is None:
                return None
            if job.status in FINISHED:
                raise JobFinishedError(f"job {job_id} already {job.status}")
        raise RuntimeError(f"job {job_id} kept changing state")

    def _cancel_queued(self, job_id: str, owner: str) -> bool:
        with transaction(self.sessions) as session:
            row = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.queued, Job.owner == owner)
                .values(status=JobStatus.cancelled, finished_at=utcnow())
                .returning(*FACTS)
            ).one_or_none()
            if row is None:
                return False
            record(session, *events.finished(JobFacts(*row), JobStatus.cancelled.value))
            return True

    def delete(self, job_id: str, owner: str, *, scoring: bool = False) -> bool:
        """Remove a finished job (or scoring) with its artifact rows and history; a
        job's finished scorings go with it."""
        with transaction(self.sessions) as session:
            job = session.scalars(
                select(Job)
                .where(Job.id == job_id, Job.owner == owner, _kind(scoring))
                .with_for_update()
            ).one_or_none()
            if job is None:
                return False
            if job.status not in FINISHED:
                raise JobActiveError(f"job {job_id} is {job.status}; cancel it first")
            running = session.scalars(
                select(Job.id)
                .where(Job.scores_job_id == job_id, Job.status.not_in(FINISHED))
                .limit(1)
            ).first()
            if running is not None:
                raise JobActiveError(
                    f"scoring {running} of job {job_id} has not finished; cancel it first"
                )
            # model_versions.job_id refuses the delete too (RESTRICT); this says why.
            version = session.execute(
                select(RegisteredModel.name, ModelVersion.version)
                .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
                .where(ModelVersion.job_id == job_id)
                .limit(1)
            ).first()
            if version is not None:
                raise JobActiveError(
                    f"job {job_id} is version {version.version} of model {version.name}; "
                    "delete that version first"
                )
            session.delete(job)
        return True


def _kind(scoring: bool) -> Any:
    """The rows of scorings, or of every other job."""
    return Job.scores_job_id.is_not(None) if scoring else Job.scores_job_id.is_(None)


def set_where(
    sessions: sessionmaker[Session],
    job_id: str,
    values: dict[str, Any],
    *,
    status: JobStatus,
    owner: str | None = None,
) -> bool:
    """Update one job if it is in ``status`` (and belongs to ``owner``)."""
    query = update(Job).where(Job.id == job_id, Job.status == status)
    if owner is not None:
        query = query.where(Job.owner == owner)
    with transaction(sessions) as session:
        return bool(session.execute(query.values(**values)).rowcount)  # type: ignore[attr-defined]


def finish_attempt(
    session: Session,
    job_id: str,
    attempt: int,
    *,
    status: JobStatus,
    stale_before: datetime | None = None,
    **values: Any,
) -> bool:
    """End a running job, but only for the attempt that holds it (and, with
    ``stale_before``, only if its heartbeat is older than that); its event (a trial's
    ``task_finished`` on its sweep) goes in the same transaction."""
    query = update(Job).where(
        Job.id == job_id, Job.status == JobStatus.running, Job.attempt == attempt
    )
    if stale_before is not None:
        query = query.where(func.coalesce(Job.heartbeat_at, Job.started_at) < stale_before)
    row = session.execute(
        query.values(status=status, finished_at=utcnow(), stop_request=None, **values).returning(
            *FACTS
        )
    ).one_or_none()
    if row is None:
        return False
    job = JobFacts(*row)
    sweep = None
    if job.sweep_id is not None:
        found = session.execute(
            select(Sweep.kind, Sweep.owner).where(Sweep.id == job.sweep_id)
        ).one_or_none()
        sweep = None if found is None else (found.kind, found.owner)
    record(session, *events.finished(job, JobStatus(status).value, values, sweep))
    return True
