"""SweepStore: a sweep (or comparison) row and its trial jobs, created together, finished
once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import defer

from api_schemas import JobStatus
from api_schemas.comparisons import ComparisonCreate
from api_schemas.sweeps import SweepCreate
from service.db import make_session_factory, transaction, utcnow
from service.events import kinds as events
from service.events.record import record
from service.jobs.store import NewJob
from service.pagination import older_than
from service.tables import Base, Job, Sweep

FINISHED = {JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled}


class SweepStore:
    def __init__(self, engine: Engine) -> None:
        self.sessions = make_session_factory(engine)

    def create(
        self, spec: SweepCreate | ComparisonCreate, trial: NewJob
    ) -> tuple[Sweep, list[Job]]:
        """The sweep and its queued trials (``spec.trials`` of them, each the job
        ``trial``: a job per fold, and for a path the fit on every row as the last), in
        one transaction; they name the uploaded dataset they read, which cannot be
        deleted while they run."""
        now = utcnow()
        sweep = Sweep(
            id=str(uuid.uuid4()),
            owner=trial.owner,
            kind=spec.kind,
            status="running",
            spec=spec.model_dump(mode="json"),
            trials=spec.trials,
            created_at=now,
        )
        rows = [trial.row(now, sweep_id=sweep.id, trial=index) for index in range(spec.trials)]
        with transaction(self.sessions) as session:
            session.add(sweep)
            session.flush()
            session.execute(insert(Base.metadata.tables["jobs"]), rows)
            record(session, events.sweep_running(sweep.owner, spec.kind, sweep.id, spec.trials))
        return sweep, [Job(**row) for row in rows]

    def get(
        self,
        sweep_id: str,
        owner: str | None = None,
        *,
        kind: str | None = None,
        with_result: bool = False,
    ) -> Sweep | None:
        """The sweep (of ``kind``, when given); its result (whole coefficient paths:
        megabytes) only when asked."""
        query = select(Sweep).where(Sweep.id == sweep_id)
        if not with_result:
            query = query.options(defer(Sweep.result, raiseload=True))
        if owner is not None:
            query = query.where(Sweep.owner == owner)
        if kind is not None:
            query = query.where(Sweep.kind == kind)
        with self.sessions() as session:
            return session.scalars(query).one_or_none()

    def trials(self, sweep_id: str, *, with_results: bool = True) -> list[Job]:
        """The sweep's trials in order (a path sweep's path on every row last)."""
        query = select(Job).where(Job.sweep_id == sweep_id).order_by(Job.trial)
        if not with_results:
            query = query.options(defer(Job.result, raiseload=True))
        with self.sessions() as session:
            return list(session.scalars(query))

    def progress(self, sweep_ids: list[str]) -> dict[str, Counter[str]]:
        """Each sweep's trials by status, counted in the database (a trial's result, the
        path on every row, can be megabytes that a progress poll must not read)."""
        counts: dict[str, Counter[str]] = {sweep_id: Counter() for sweep_id in sweep_ids}
        query = (
            select(Job.sweep_id, Job.status, func.count())
            .where(Job.sweep_id.in_(sweep_ids))
            .group_by(Job.sweep_id, Job.status)
        )
        with self.sessions() as session:
            for sweep_id, status, count in session.execute(query):
                counts[str(sweep_id)][str(status)] = count
        return counts

    def page(
        self, *, owner: str, kind: str, status: str | None, cursor: str | None, limit: int
    ) -> list[Sweep]:
        """Newest first; ``limit + 1`` rows are read so the caller knows if more exist."""
        query = (
            select(Sweep)
            .options(defer(Sweep.result))  # a result holds whole coefficient paths
            .where(Sweep.owner == owner, Sweep.kind == kind)
            .order_by(Sweep.created_at.desc(), Sweep.id.desc())
            .limit(limit + 1)
        )
        if status is not None:
            query = query.where(Sweep.status == status)
        if cursor:  # an empty ?cursor= is the first page, as an absent one
            query = query.where(older_than(cursor, Sweep.created_at, Sweep.id))
        with self.sessions() as session:
            return list(session.scalars(query))

    def begin_aggregation(self, sweep_id: str, stale_before: datetime | None = None) -> bool:
        """Take the right to aggregate: one process at a time (or again after a
        process that took it went silent before ``stale_before``)."""
        query = update(Sweep).where(Sweep.id == sweep_id, Sweep.status == "running")
        if stale_before is None:
            query = query.where(Sweep.aggregating_since.is_(None))
        else:
            query = query.where(
                (Sweep.aggregating_since.is_(None)) | (Sweep.aggregating_since < stale_before)
            )
        with transaction(self.sessions) as session:
            rows = session.execute(query.values(aggregating_since=utcnow()))
            return bool(rows.rowcount)  # type: ignore[attr-defined]

    def finish(self, sweep_id: str, status: str, **values: Any) -> bool:
        with transaction(self.sessions) as session:
            row = session.execute(
                update(Sweep)
                .where(Sweep.id == sweep_id, Sweep.status == "running")
                .values(status=status, finished_at=utcnow(), **values)
                .returning(Sweep.owner, Sweep.kind)
            ).one_or_none()
            if row is None:
                return False
            record(session, events.sweep_finished(row.owner, row.kind, sweep_id, status, values))
            return True

    def delete(self, sweep_id: str, owner: str) -> bool:
        """Remove the sweep; its trials, their history and artifact rows go with it (the
        foreign keys cascade)."""
        with transaction(self.sessions) as session:
            rows = session.execute(delete(Sweep).where(Sweep.id == sweep_id, Sweep.owner == owner))
            return bool(rows.rowcount)  # type: ignore[attr-defined]

    def unfinished_with_trials_done(self) -> list[str]:
        """Running sweeps whose every trial has ended: the reaper aggregates them if the
        worker of the last trial did not (it died, or lost a race)."""
        with self.sessions() as session:
            sweeps = list(session.scalars(select(Sweep.id).where(Sweep.status == "running")))
            done = []
            for sweep_id in sweeps:
                statuses = session.scalars(select(Job.status).where(Job.sweep_id == sweep_id))
                if all(status in FINISHED for status in statuses):
                    done.append(sweep_id)
            return done
