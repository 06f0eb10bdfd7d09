"""JobStore: every read and state change of a job row, each in its own transaction.

State changes are conditional UPDATEs (``WHERE status = ...``), so two processes
racing on one job cannot both win: the claim is atomic on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from api_schemas import JobCreate, JobStatus
from service.db import make_session_factory, transaction, utcnow
from service.tables import Base, Job, JobArtifact


class InvalidCursorError(ValueError):
    pass


@dataclass(frozen=True)
class StoredArtifact:
    name: str
    media_type: str
    key: str
    size: int


def encode_cursor(job: Job) -> str:
    raw = json.dumps([job.created_at.isoformat(), job.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, job_id = json.loads(raw)
        return datetime.fromisoformat(created), str(job_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidCursorError("cursor is not one this service returned") from exc


class JobStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    def create(self, spec: JobCreate) -> Job:
        values = {
            "id": str(uuid.uuid4()),
            "status": JobStatus.queued.value,
            "spec": spec.model_dump(mode="json"),
            "dataset_name": spec.dataset.name,
            "model_kind": spec.model.kind,
            "attempt": 0,
            "created_at": utcnow(),
        }
        # A Core INSERT on the table: the ORM's unit of work costs more than the row
        # on the POST path (bench/README.md).
        with self.engine.begin() as connection:
            connection.execute(insert(Base.metadata.tables["jobs"]).values(values))
        return Job(**values)

    def get(self, job_id: str, *, with_artifacts: bool = False) -> Job | None:
        with self.sessions() as session:
            query = select(Job).where(Job.id == job_id)
            if with_artifacts:
                query = query.options(selectinload(Job.artifacts))
            return session.scalars(query).one_or_none()

    def page(self, *, status: JobStatus | None, cursor: str | None, limit: int) -> list[Job]:
        """Newest first; ``limit + 1`` rows are read so the caller knows if more exist."""
        query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)
        if status is not None:
            query = query.where(Job.status == status)
        if cursor is not None:
            created, job_id = decode_cursor(cursor)
            query = query.where(
                or_(Job.created_at < created, and_(Job.created_at == created, Job.id < job_id))
            )
        with self.sessions() as session:
            return list(session.scalars(query))

    def get_artifact(self, job_id: str, name: str) -> JobArtifact | None:
        with self.sessions() as session:
            return session.scalars(
                select(JobArtifact).where(JobArtifact.job_id == job_id, JobArtifact.name == name)
            ).one_or_none()

    def claim(self, job_id: str, worker: str) -> int | None:
        """queued → running, atomically. Returns the new attempt number, or None if
        the job is gone or another delivery already claimed it."""
        with transaction(self.sessions) as session:
            attempt = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.queued)
                .values(
                    status=JobStatus.running,
                    attempt=Job.attempt + 1,
                    started_at=utcnow(),
                    worker=worker,
                )
                .returning(Job.attempt)
            ).scalar_one_or_none()
        return attempt

    def succeed(
        self,
        job_id: str,
        attempt: int,
        result: dict[str, Any],
        artifacts: list[StoredArtifact],
    ) -> bool:
        """Make an attempt's result and artifacts current in one transaction."""
        with transaction(self.sessions) as session:
            won = self._finish(session, job_id, attempt, status=JobStatus.succeeded, result=result)
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
                    )
                    for a in artifacts
                )
            return won

    def fail(self, job_id: str, attempt: int, code: str, message: str) -> bool:
        with transaction(self.sessions) as session:
            return self._finish(
                session,
                job_id,
                attempt,
                status=JobStatus.failed,
                error_code=code,
                error_message=message,
            )

    def mark_unpublished(self, job_id: str, message: str) -> None:
        """A queued job whose message never reached the broker."""
        with transaction(self.sessions) as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.queued)
                .values(
                    status=JobStatus.failed,
                    finished_at=utcnow(),
                    error_code="broker_unavailable",
                    error_message=message,
                )
            )

    @staticmethod
    def _finish(
        session: Session, job_id: str, attempt: int, *, status: JobStatus, **values: Any
    ) -> bool:
        # Only the attempt that holds the job may finish it.
        rows = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.running, Job.attempt == attempt)
            .values(status=status, finished_at=utcnow(), **values)
        )
        return bool(rows.rowcount)  # type: ignore[attr-defined]
