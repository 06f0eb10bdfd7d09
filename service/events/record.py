"""Writing events, inside the transaction that makes the change they announce.

Ids must grow in commit order, or a reader that has seen id 10 could later find a 9
committed after it and never read it. SQLite has one writer at a time, so its ids do.
On PostgreSQL a transaction takes a transaction-scoped advisory lock just before it
inserts its events, so event-writing transactions commit one after another (the lock is
held from the insert to the commit: microseconds of work), and it sends a NOTIFY, which
PostgreSQL delivers only once the transaction commits; all of it in one statement.

The webhook deliveries of each event are queued in the same transaction (the outbox).
"""

from __future__ import annotations

import json
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
#: ... and the one the workers' webhook dispatchers wake on (only when a delivery is
#: queued: an event nobody subscribed to does not wake them).
DELIVERIES = "regulab_webhook_deliveries"


@dataclass(frozen=True)
class NewEvent:
    owner: str
    subject_type: str  # job, scoring, sweep or comparison
    subject_id: str
    type: str  # <subject_type>.<what happened>
    data: dict[str, Any] = field(default_factory=dict)


def record(executor: Session | Connection, *events: NewEvent) -> None:
    """Insert ``events``, and the webhook deliveries they make, in the transaction
    ``executor`` is in; call it last, just before the commit, so the PostgreSQL lock is
    held for as short a time as it can be."""
    if not events:
        return
    now = utcnow()
    if _dialect(executor) == "postgresql":
        _record_in_one_statement(executor, events, now)
        return
    ids = executor.execute(
        insert(Event).returning(Event.id, sort_by_parameter_order=True),
        [{**_row(e), "created_at": now} for e in events],
    ).scalars()
    queue_deliveries(executor, [as_read(e, i, now) for e, i in zip(events, ids, strict=True)])


#: PostgreSQL: the lock, the events, their webhook deliveries and the NOTIFY in one round
#: trip (four statements cost 1.5 ms on the POST path; this one about 0.5 ms). The
#: INSERT's rows come from a join with the lock's row, so the lock is held before the
#: first id is drawn; ids are drawn in the rows' order.
ONE_STATEMENT = text(
    f"""
WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock({EVENTS_LOCK}) AS held),
new_events AS (
    INSERT INTO events (owner, subject_type, subject_id, type, data, created_at)
    SELECT v.owner, v.subject_type, v.subject_id, v.type, v.data, CAST(:now AS timestamptz)
    FROM locked, json_to_recordset(CAST(:rows AS json)) AS v(
        ord int, owner text, subject_type text, subject_id text, type text, data json
    )
    ORDER BY v.ord
    RETURNING id, owner, subject_type, subject_id, type, data
),
deliveries AS (
    INSERT INTO webhook_deliveries (
        id, webhook_id, owner, event_id, type, payload, status, attempts, next_attempt_at,
        created_at
    )
    SELECT
        'msg_' || replace(CAST(gen_random_uuid() AS text), '-', ''), w.id, e.owner, e.id,
        e.type,
        json_build_object(
            'type', e.type,
            'timestamp', CAST(:stamp AS text),
            'data', json_build_object(
                'id', e.id,
                'type', e.type,
                'subject', json_build_object('type', e.subject_type, 'id', e.subject_id),
                'data', e.data,
                'created_at', CAST(:stamp AS text)
            )
        ),
        'pending', CAST('[]' AS json), CAST(:now AS timestamptz), CAST(:now AS timestamptz)
    FROM new_events AS e
    JOIN webhooks AS w
        ON w.owner = e.owner AND w.enabled AND CAST(w.events AS jsonb) @> jsonb_build_array(e.type)
    RETURNING 1
)
SELECT
    pg_notify('{CHANNEL}', ''),
    CASE WHEN (SELECT count(*) FROM deliveries) > 0 THEN pg_notify('{DELIVERIES}', '') END
"""
)


def _record_in_one_statement(
    executor: Session | Connection, events: tuple[NewEvent, ...], now: datetime
) -> None:
    rows = [{"ord": n, **_row(e)} for n, e in enumerate(events)]
    stamp = to_jsonable_python(now)
    executor.execute(ONE_STATEMENT, {"rows": json.dumps(rows), "now": now, "stamp": stamp})


def _row(event: NewEvent) -> dict[str, Any]:
    return {
        "owner": event.owner,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "type": event.type,
        "data": event.data,
    }


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
