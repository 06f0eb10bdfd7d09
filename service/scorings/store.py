"""ScoringStore: the scoring rows, which are job rows with ``scores_job_id`` (the jobs'
store reads, cancels and deletes them by id like any job; this adds what only
scorings have)."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from api_schemas import JobStatus
from api_schemas.scorings import ScoringSpec
from service.db import make_session_factory, utcnow
from service.events import kinds as events
from service.events.kinds import JobFacts
from service.events.record import record
from service.tables import Base, Job, UploadedDataset


class ScoringStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    def create(
        self, spec: ScoringSpec, source: Job, dataset: UploadedDataset, max_seconds: int, queue: str
    ) -> Job:
        """Insert a queued scoring of ``source``'s model over ``dataset``."""
        now, scoring_id = utcnow(), str(uuid.uuid4())
        values = {
            "id": scoring_id,
            "owner": source.owner,
            "status": JobStatus.queued.value,
            "spec": spec.model_dump(mode="json"),
            "dataset_name": dataset.name,
            "dataset_id": dataset.id,
            "dataset_hash": dataset.content_hash,
            "scores_job_id": source.id,
            "model_kind": source.model_kind,
            "max_seconds": max_seconds,
            "queue": queue,
            "attempt": 0,
            "created_at": now,
            "published_at": now,
        }
        facts = JobFacts(scoring_id, source.owner, 0, scores_job_id=source.id)
        with self.engine.begin() as connection:
            connection.execute(insert(Base.metadata.tables["jobs"]).values(values))
            record(connection, *events.queued(facts))
        return Job(**values)

    def of_job(self, job_id: str, owner: str) -> list[Job]:
        """The scorings of the caller's job, newest first."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Job)
                    .where(Job.scores_job_id == job_id, Job.owner == owner)
                    .options(selectinload(Job.artifacts))
                    .order_by(Job.created_at.desc(), Job.id.desc())
                )
            )
