"""EventStore: reading events after an id, the state of what they are about, pruning."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from service.db import make_session_factory, transaction
from service.tables import Event, EventsPruned, Job, Sweep

#: The most events one read returns (a stream reads again at once when it was full).
BATCH = 500


class EventStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    def after(
        self,
        owner: str,
        after: int,
        *,
        subject: tuple[str, str] | None = None,
        limit: int = BATCH,
    ) -> list[Event]:
        """The caller's events with ids above ``after``, oldest first (only those of
        ``subject``, its type and id, when given)."""
        query = select(Event).where(Event.owner == owner, Event.id > after)
        if subject is not None:
            query = query.where(Event.subject_id == subject[1], Event.subject_type == subject[0])
        with self.sessions() as session:
            return list(session.scalars(query.order_by(Event.id).limit(limit)))

    def latest_id(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.max(Event.id))).scalar() or 0)

    def pruned_through(self) -> int:
        """The highest id retention has deleted (0: none yet)."""
        with self.engine.connect() as connection:
            value = connection.execute(select(func.max(EventsPruned.through_id))).scalar()
            return int(value or 0)

    def status(self, subject_type: str, subject_id: str, owner: str) -> str | None:
        """The status of the caller's job, scoring, sweep or comparison; None when it has
        none such."""
        if subject_type in ("sweep", "comparison"):
            query = select(Sweep.status).where(Sweep.kind == subject_type)
            query = query.where(Sweep.id == subject_id, Sweep.owner == owner)
        else:
            scoring = Job.scores_job_id.is_not(None)
            query = select(Job.status).where(scoring if subject_type == "scoring" else ~scoring)
            query = query.where(Job.id == subject_id, Job.owner == owner)
        with self.engine.connect() as connection:
            found = connection.execute(query).scalar_one_or_none()
        return None if found is None else str(found)

    def prune(self, before: datetime) -> int:
        """Delete the events created before ``before``; returns how many. The highest id
        deleted is kept, so a ``Last-Event-ID`` below it is known to have missed some."""
        with transaction(self.sessions) as session:
            through = session.execute(
                select(func.max(Event.id)).where(Event.created_at < before)
            ).scalar()
            if through is None:
                return 0
            deleted = session.execute(delete(Event).where(Event.id <= through))
            mark = session.get(EventsPruned, 1, with_for_update=True)
            if mark is None:  # the migration writes it; a hand-emptied table lacks it
                session.add(EventsPruned(id=1, through_id=through))
            else:
                mark.through_id = max(mark.through_id, through)
            return int(deleted.rowcount)  # type: ignore[attr-defined]
