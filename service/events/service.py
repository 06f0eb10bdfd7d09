"""EventService: the verbs the event routes call."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial

from anyio.to_thread import run_sync

from api_schemas.events import EventList, EventRead, EventSubject, SubjectType
from service.events.kinds import TERMINAL
from service.events.store import EventStore
from service.events.wakeup import EventWakeup
from service.tables import Event


class SubjectNotFoundError(LookupError):
    """No such job, scoring, sweep or comparison of the caller's."""

    def __init__(self, subject_type: str, subject_id: str) -> None:
        super().__init__(f"{subject_type}: {subject_id}")


class EventsGoneError(LookupError):
    """Events after the id a caller gave were pruned (410)."""


def to_read(event: Event) -> EventRead:
    return EventRead(
        id=event.id,
        type=event.type,
        subject=EventSubject(type=event.subject_type, id=event.subject_id),
        data=event.data,
        created_at=event.created_at,
    )


@dataclass(frozen=True)
class EventService:
    store: EventStore
    wakeup: EventWakeup
    retention_days: float
    #: A stream ends after this long (the client resumes with Last-Event-ID).
    stream_seconds: float = 3600.0

    def feed(self, owner: str, after: int, limit: int) -> EventList:
        """The caller's events after ``after``, oldest first."""
        self._not_pruned(after)
        items = [to_read(e) for e in self.store.after(owner, after, limit=limit)]
        return EventList(items=items, next_after=items[-1].id if items else after)

    def open_stream(
        self, subject_type: SubjectType, subject_id: str, owner: str, after: int
    ) -> AsyncIterator[EventRead]:
        """Check the subject and ``after`` now (404, 410), then follow its events."""
        if self.store.status(subject_type, subject_id, owner) is None:
            raise SubjectNotFoundError(subject_type, subject_id)
        self._not_pruned(after)
        return self._follow(subject_type, subject_id, owner, after)

    async def _follow(
        self, subject_type: SubjectType, subject_id: str, owner: str, after: int
    ) -> AsyncIterator[EventRead]:
        """Every event of the subject after ``after``, each once, in order; the stream ends
        after its terminal event (or once it has ended with none left to send: it ended
        before regulab stored events, or they were pruned, or it was deleted), or after
        ``stream_seconds``."""
        subject = (subject_type, subject_id)
        deadline = time.monotonic() + self.stream_seconds
        while time.monotonic() < deadline:
            token = self.wakeup.token()
            # Its state before its events: an end seen here has its event in the read below.
            status = await run_sync(self.store.status, subject_type, subject_id, owner)
            batch = await run_sync(partial(self.store.after, owner, after, subject=subject))
            for event in batch:
                yield to_read(event)
                after = event.id
                if event.type.rsplit(".", 1)[-1] in TERMINAL:
                    return
            if status is None or status in TERMINAL:
                if not batch:
                    return
                continue
            if not batch:
                left = deadline - time.monotonic()
                await self.wakeup.wait(token, max(0.0, min(left, self.wakeup.fallback_seconds)))

    def _not_pruned(self, after: int) -> None:
        through = self.store.pruned_through()
        if 0 < after < through:
            raise EventsGoneError(
                f"events up to {through} were pruned (REGULAB_EVENT_RETENTION_DAYS="
                f"{self.retention_days:g}), so some after {after} are gone: read the current "
                "state (GET the job, sweep or comparison) and follow its events again without "
                "Last-Event-ID, or GET /v1/events without after"
            )
