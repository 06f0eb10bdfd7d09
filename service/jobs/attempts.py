"""AttemptStore: what a worker does to the job it runs, and what the reaper sweeps.

Every write names the attempt, so an attempt that lost its job (re-queued by the
reaper, cancelled, deleted) can neither finish it nor leave results behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api_schemas import JobStatus
from service.db import make_session_factory, transaction, utcnow
from service.events import kinds as events
from service.events.kinds import JobFacts
from service.events.record import record
from service.jobs.store import FACTS, finish_attempt, set_where
from service.tables import Job, JobArtifact, JobHistory


@dataclass(frozen=True)
class StoredArtifact:
    name: str
    media_type: str
    key: str
    size: int
    #: ``available`` or ``pending``: a figure to draw after the job succeeds.
    state: str = "ready"


@dataclass(frozen=True)
class HistoryEntry:
    step: int
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Steps:
    """Finished steps not written yet: their history rows and the progress after them."""

    progress: dict[str, Any] | None
    entries: list[HistoryEntry]


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    attempt: int
    spec: dict[str, Any]
    max_seconds: int
    sweep_id: str | None = None
    trial: int | None = None
    #: A scoring: the job whose model it runs (``spec`` is a ScoringSpec).
    scores_job_id: str | None = None


@dataclass(frozen=True)
class RunningJob:
    id: str
    attempt: int
    started_at: datetime
    heartbeat_at: datetime | None
    max_seconds: int
    stop_request: str | None


#: What a checkpoint learns: None (carry on), "cancel", "handback", or "lost"
#: (the attempt no longer holds the job).
StopSignal = Literal["cancel", "handback", "lost"] | None


class AttemptStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    def claim(self, job_id: str, worker: str) -> ClaimedJob | None:
        """queued → running, atomically. Returns the attempt, or None if the job is gone,
        cancelled, or another delivery already claimed it."""
        now = utcnow()
        with transaction(self.sessions) as session:
            row = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.queued)
                .values(
                    status=JobStatus.running,
                    attempt=Job.attempt + 1,
                    started_at=now,
                    heartbeat_at=now,
                    worker=worker,
                    progress=None,
                )
                .returning(
                    Job.attempt,
                    Job.spec,
                    Job.max_seconds,
                    Job.sweep_id,
                    Job.trial,
                    Job.scores_job_id,
                    Job.owner,
                )
            ).one_or_none()
            if row is None:
                return None
            attempt, spec, max_seconds, sweep_id, trial, scores_job_id, owner = row
            facts = JobFacts(job_id, owner, attempt, sweep_id, scores_job_id, trial)
            record(session, *events.running(facts))
        return ClaimedJob(job_id, attempt, spec, max_seconds, sweep_id, trial, scores_job_id)

    def checkpoint(
        self,
        job_id: str,
        attempt: int,
        progress: dict[str, Any] | None = None,
        entries: Sequence[HistoryEntry] = (),
    ) -> StopSignal:
        """Heartbeat, progress and history rows in one transaction; returns whether
        the attempt should stop."""
        with transaction(self.sessions) as session:
            return _write_steps(session, job_id, attempt, Steps(progress, list(entries)))

    def succeed(
        self,
        job_id: str,
        attempt: int,
        result: dict[str, Any],
        artifacts: list[StoredArtifact],
        steps: Steps | None = None,
    ) -> bool:
        """Make an attempt's last steps (not written yet), its result and its artifacts
        current in one transaction."""
        now = utcnow()
        with transaction(self.sessions) as session:
            if steps is not None and steps.entries:
                _write_steps(session, job_id, attempt, steps)
            won = finish_attempt(
                session, job_id, attempt, status=JobStatus.succeeded, result=result
            )
            if won:
                session.execute(delete(JobArtifact).where(JobArtifact.job_id == job_id))
                session.add_all(
                    JobArtifact(
                        job_id=job_id,
                        attempt=attempt,
                        name=a.name,
                        media_type=a.media_type,
                        key=a.key,
                        size=a.size,
                        state=a.state,
                        requested_at=now if a.state == "pending" else None,
                    )
                    for a in artifacts
                )
            return won

    def fail(self, job_id: str, attempt: int, code: str, message: str) -> bool:
        with transaction(self.sessions) as session:
            return finish_attempt(
                session,
                job_id,
                attempt,
                status=JobStatus.failed,
                error_code=code,
                error_message=message,
            )

    def abandon(
        self, job_id: str, attempt: int, stale_before: datetime, status: JobStatus, **values: Any
    ) -> bool:
        """Finish a job whose worker went silent, unless it has beaten since we looked."""
        with transaction(self.sessions) as session:
            return finish_attempt(
                session, job_id, attempt, status=status, stale_before=stale_before, **values
            )

    def cancel_running(self, job_id: str, attempt: int) -> bool:
        with transaction(self.sessions) as session:
            return finish_attempt(session, job_id, attempt, status=JobStatus.cancelled)

    def requeue(self, job_id: str, attempt: int, stale_before: datetime | None = None) -> bool:
        """Give an attempt's job back to the queue (its worker shut down, or went silent
        and has not beaten since ``stale_before``)."""
        query = update(Job).where(
            Job.id == job_id, Job.attempt == attempt, Job.status == JobStatus.running
        )
        if stale_before is not None:
            query = query.where(func.coalesce(Job.heartbeat_at, Job.started_at) < stale_before)
        with transaction(self.sessions) as session:
            row = session.execute(
                query.values(
                    status=JobStatus.queued,
                    worker=None,
                    stop_request=None,
                    heartbeat_at=None,
                    published_at=None,
                ).returning(*FACTS)
            ).one_or_none()
            if row is None:
                return False
            record(session, *events.queued(JobFacts(*row), requeued=True))
            return True

    def request_handback(self, worker_prefix: str) -> int:
        """Ask every job that workers named ``worker_prefix…`` run to hand itself back."""
        with transaction(self.sessions) as session:
            rows = session.execute(
                update(Job)
                .where(
                    Job.status == JobStatus.running,
                    Job.worker.startswith(worker_prefix, autoescape=True),
                    Job.stop_request.is_(None),
                )
                .values(stop_request="handback")
            )
            return int(rows.rowcount)  # type: ignore[attr-defined]

    def running_jobs(self) -> list[RunningJob]:
        with self.sessions() as session:
            rows = session.execute(
                select(
                    Job.id,
                    Job.attempt,
                    Job.started_at,
                    Job.heartbeat_at,
                    Job.max_seconds,
                    Job.stop_request,
                ).where(Job.status == JobStatus.running)
            )
            return [
                RunningJob(
                    id=row.id,
                    attempt=row.attempt,
                    started_at=row.started_at,
                    heartbeat_at=row.heartbeat_at,
                    max_seconds=row.max_seconds,
                    stop_request=row.stop_request,
                )
                for row in rows
                if row.started_at is not None
            ]

    def queued_unpublished(
        self, published_before: datetime, limit: int = 500
    ) -> list[tuple[str, str]]:
        """(job id, queue) of queued jobs whose message was never sent or sent long ago."""
        with self.sessions() as session:
            rows = session.execute(
                select(Job.id, Job.queue)
                .where(
                    Job.status == JobStatus.queued,
                    or_(Job.published_at.is_(None), Job.published_at < published_before),
                )
                .order_by(Job.created_at)
                .limit(limit)
            )
            return [(job_id, queue) for job_id, queue in rows]

    def mark_published(self, job_id: str) -> None:
        set_where(self.sessions, job_id, {"published_at": utcnow()}, status=JobStatus.queued)


def _write_steps(session: Session, job_id: str, attempt: int, steps: Steps) -> StopSignal:
    """The heartbeat, the progress and each history row (with their events), if the
    attempt still holds the job; what it should do next."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if steps.progress is not None:
        values["progress"] = steps.progress
    row = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.attempt == attempt, Job.status == JobStatus.running)
        .values(**values)
        .returning(Job.stop_request, *FACTS)
    ).one_or_none()
    if row is None:
        return "lost"
    stop_request: str | None = row[0]
    facts = JobFacts(*row[1:])
    news = [] if steps.progress is None else events.progress(facts, steps.progress)
    now = utcnow()
    for entry in steps.entries:
        session.add(
            JobHistory(
                job_id=job_id,
                attempt=attempt,
                step=entry.step,
                kind=entry.kind,
                data=entry.data,
                created_at=now,
            )
        )
        news += events.epoch(facts, entry.step, entry.kind, entry.data)
    record(session, *news)
    match stop_request:
        case "cancel" | "handback" as request:
            return request
        case None:
            return None
        case other:
            raise ValueError(f"job {job_id} has an unknown stop_request {other!r}")
