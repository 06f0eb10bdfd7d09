"""Writing events, inside the transaction that makes the change they announce.

Ids must grow in commit order, or a reader that has seen id 10 could later find a 9
committed after it and never read it. SQLite has one writer at a time, so its ids do.
On PostgreSQL a transaction takes a transaction-scoped advisory lock just before it
inserts its events, so event-writing transactions commit one after another (the lock is
held from the insert to the commit: microseconds of work), and it sends a NOTIFY, which
PostgreSQL delivers only once the transaction commits.

The webhook deliveries of each event are queued in the same transaction (the outbox).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Connection, insert, text
from sqlalchemy.orm import Session

from service.db import utcnow
from service.tables import Event
from service.webhooks.outbox import queue_deliveries

#: pg_advisory_xact_lock's key for event writers ("regu" in ASCII).
EVENTS_LOCK = 0x72656775
#: The LISTEN/NOTIFY channel the API's streams wake on.
CHANNEL = "regulab_events"


@dataclass(frozen=True)
class NewEvent:
    owner: str
    subject_type: str  # job, scoring, sweep or comparison
    subject_id: str
    type: str  # <subject_type>.<what happened>
    data: dict[str, Any] = field(default_factory=dict)


def record(executor: Session | Connection, *events: NewEvent) -> None:
    """Insert ``events`` in the transaction ``executor`` is in; call it last, just before
    the commit, so the PostgreSQL lock is held for as short a time as it can be."""
    if not events:
        return
    postgresql = _dialect(executor) == "postgresql"
    if postgresql:
        executor.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENTS_LOCK})
    now = utcnow()
    ids = executor.execute(
        insert(Event).returning(Event.id, sort_by_parameter_order=True),
        [
            {
                "owner": e.owner,
                "subject_type": e.subject_type,
                "subject_id": e.subject_id,
                "type": e.type,
                "data": e.data,
                "created_at": now,
            }
            for e in events
        ],
    ).scalars()
    queue_deliveries(executor, [as_read(e, i, now) for e, i in zip(events, ids, strict=True)])
    if postgresql:
        executor.execute(text(f"NOTIFY {CHANNEL}"))


def as_read(event: NewEvent, event_id: int, created_at: datetime) -> dict[str, Any]:
    """The event as GET /v1/events shows it (EventRead, as JSON)."""
    return {
        "id": event_id,
        "type": event.type,
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "data": event.data,
        "created_at": to_jsonable_python(created_at),
        "owner": event.owner,  # for the outbox; dropped from what is sent
    }


def _dialect(executor: Session | Connection) -> str:
    if isinstance(executor, Session):
        return executor.get_bind().dialect.name
    return executor.dialect.name
