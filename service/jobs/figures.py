"""A succeeded job's figures, drawn after its result is stored.

Each figure is a row of ``job_artifacts`` whose ``state`` moves ``available`` (listed,
not drawn) → ``pending`` (asked for: a message is on the figures queue, or the job's own
worker draws it at once for ``"figures": "eager"``) → ``ready`` (stored) or ``failed``
(``error`` says why; the job stays succeeded). Every write names the attempt whose
figure it is, so a figure of a job that was deleted, or run again, is never marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.db import make_session_factory, transaction, utcnow
from service.tables import JobArtifact

#: A figure asked for this long ago and still pending is asked for again: its message
#: was lost (the broker was down when it was sent). A worker that dies while drawing
#: gets its message back from the broker (acks late), so this is the rare path.
ASK_AGAIN_SECONDS = 30.0

AVAILABLE, PENDING, READY, FAILED = "available", "pending", "ready", "failed"


@dataclass(frozen=True)
class FigureToDraw:
    job_id: str
    attempt: int
    name: str
    key: str


def needs_asking(state: str, requested_at: datetime | None) -> bool:
    """A figure not asked for yet, or asked for so long ago that it is asked again."""
    if state == AVAILABLE:
        return True
    stale = utcnow() - timedelta(seconds=ASK_AGAIN_SECONDS)
    return state == PENDING and (requested_at is None or requested_at < stale)


class FigureStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    def ask(self, job_id: str, name: str) -> bool:
        """available → pending (or a pending figure asked for long ago, again). True when
        this call moved it, and so must send the message that draws it."""
        now = utcnow()
        stale = now - timedelta(seconds=ASK_AGAIN_SECONDS)
        with transaction(self.sessions) as session:
            moved = session.execute(
                update(JobArtifact)
                .where(
                    JobArtifact.job_id == job_id,
                    JobArtifact.name == name,
                    or_(
                        JobArtifact.state == AVAILABLE,
                        and_(JobArtifact.state == PENDING, JobArtifact.requested_at < stale),
                    ),
                )
                .values(state=PENDING, requested_at=now)
            ).rowcount  # type: ignore[attr-defined]
            return bool(moved)

    def to_draw(self, job_id: str, name: str) -> FigureToDraw | None:
        """The figure if it is pending (None: drawn, failed, or gone with its job)."""
        with self.sessions() as session:
            row = session.execute(
                select(JobArtifact.attempt, JobArtifact.key).where(
                    JobArtifact.job_id == job_id,
                    JobArtifact.name == name,
                    JobArtifact.state == PENDING,
                )
            ).one_or_none()
        return None if row is None else FigureToDraw(job_id, row.attempt, name, row.key)

    def drawn(self, figure: FigureToDraw, size: int) -> bool:
        return self._end(figure, state=READY, size=size, error=None)

    def failed(self, figure: FigureToDraw, error: str) -> bool:
        return self._end(figure, state=FAILED, error=error)

    def _end(self, figure: FigureToDraw, **values: object) -> bool:
        with transaction(self.sessions) as session:
            return bool(
                session.execute(
                    update(JobArtifact)
                    .where(
                        JobArtifact.job_id == figure.job_id,
                        JobArtifact.attempt == figure.attempt,
                        JobArtifact.name == figure.name,
                        JobArtifact.state == PENDING,
                    )
                    .values(**values)
                ).rowcount  # type: ignore[attr-defined]
            )
