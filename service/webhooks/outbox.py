"""The deliveries of events to the webhooks that asked for them, inserted in the event's
own transaction: an event that is stored has its deliveries queued, whatever crashes
after the commit. The workers' dispatcher sends them (``workers.runtime.webhooks``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.tables import Webhook, WebhookDelivery


def message_id() -> str:
    """A delivery's webhook-id: msg_ and 32 hex digits."""
    return f"msg_{uuid.uuid4().hex}"


def message(type_: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A delivery's body, as Standard Webhooks has it."""
    return {"type": type_, "timestamp": to_jsonable_python(now), "data": data}


def delivery_row(
    webhook_id: str, owner: str, body: dict[str, Any], event_id: int | None = None
) -> dict[str, Any]:
    """A pending delivery of ``body`` (``message``), due now."""
    now = utcnow()
    return {
        "id": message_id(),
        "webhook_id": webhook_id,
        "owner": owner,
        "event_id": event_id,
        "type": body["type"],
        "payload": body,
        "status": "pending",
        "attempts": [],
        "next_attempt_at": now,
        "created_at": now,
    }


def queue_deliveries(executor: Session | Connection, events: list[dict[str, Any]]) -> int:
    """Queue a delivery of each event (EventRead as JSON, with its ``owner``) to each of
    its owner's enabled webhooks that asked for its type; returns how many."""
    owners = {event["owner"] for event in events}
    hooks = executor.execute(
        select(Webhook.id, Webhook.owner, Webhook.events).where(
            Webhook.owner.in_(owners), Webhook.enabled.is_(True)
        )
    ).all()
    if not hooks:
        return 0
    now = utcnow()
    rows = []
    for event in events:
        owner = event["owner"]
        data = {k: v for k, v in event.items() if k != "owner"}
        for hook in hooks:
            if hook.owner == owner and event["type"] in hook.events:
                body = message(event["type"], data, now)
                rows.append(delivery_row(hook.id, owner, body, event["id"]))
    if rows:
        executor.execute(insert(WebhookDelivery), rows)
    return len(rows)
