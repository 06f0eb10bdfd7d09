"""WebhookStore: webhooks, their deliveries, and what a send makes of a delivery."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from service.db import make_session_factory, transaction, utcnow
from service.events.record import DELIVERIES
from service.pagination import older_than
from service.tables import Webhook, WebhookDelivery
from service.webhooks.outbox import delivery_row, message
from service.webhooks.signing import new_secret

TEST_EVENT = "webhook.test"


@dataclass(frozen=True)
class Verdict:
    """What one attempt makes of its delivery: ``succeeded``, ``failed`` (refused, or the
    last attempt), or ``retry`` at ``next_attempt_at``."""

    status: str
    next_attempt_at: datetime | None = None


class WebhookStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    # -- the API's side ------------------------------------------------------------

    def create(self, owner: str, url: str, events: list[str], description: str) -> Webhook:
        hook = Webhook(
            id=str(uuid.uuid4()),
            owner=owner,
            url=url,
            events=events,
            description=description,
            secret=new_secret(),
            enabled=True,
            created_at=utcnow(),
        )
        with transaction(self.sessions) as session:
            session.add(hook)
        return hook

    def of_owner(self, owner: str) -> list[Webhook]:
        with self.sessions() as session:
            query = select(Webhook).where(Webhook.owner == owner)
            return list(session.scalars(query.order_by(Webhook.created_at, Webhook.id)))

    def get(self, webhook_id: str, owner: str | None = None) -> Webhook | None:
        query = select(Webhook).where(Webhook.id == webhook_id)
        if owner is not None:
            query = query.where(Webhook.owner == owner)
        with self.sessions() as session:
            return session.scalars(query).one_or_none()

    def delete(self, webhook_id: str, owner: str) -> bool:
        """The webhook and its deliveries (the foreign key cascades)."""
        with transaction(self.sessions) as session:
            rows = session.execute(
                delete(Webhook).where(Webhook.id == webhook_id, Webhook.owner == owner)
            )
            return bool(rows.rowcount)  # type: ignore[attr-defined]

    def rotate(self, webhook_id: str, owner: str, grace: timedelta) -> Webhook | None:
        """A new secret; the current one keeps signing beside it for ``grace``."""
        with transaction(self.sessions) as session:
            hook = session.scalars(
                select(Webhook)
                .where(Webhook.id == webhook_id, Webhook.owner == owner)
                .with_for_update()
            ).one_or_none()
            if hook is None:
                return None
            hook.previous_secret, hook.secret = hook.secret, new_secret()
            hook.previous_secret_expires_at = utcnow() + grace
            return hook

    def queue_test(self, hook: Webhook) -> WebhookDelivery:
        """A ``webhook.test`` delivery to ``hook``, due now."""
        data = {"webhook_id": hook.id, "message": "a test delivery from regulab"}
        row = delivery_row(hook.id, hook.owner, message(TEST_EVENT, data, utcnow()))
        with transaction(self.sessions) as session:
            session.execute(insert(WebhookDelivery), [row])
            _wake_dispatchers(session)
        return WebhookDelivery(**row)

    def deliveries(self, webhook_id: str, cursor: str | None, limit: int) -> list[WebhookDelivery]:
        """Newest first; ``limit + 1`` rows, so the caller knows if more exist."""
        query = (
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit + 1)
        )
        if cursor:
            query = query.where(older_than(cursor, WebhookDelivery.created_at, WebhookDelivery.id))
        with self.sessions() as session:
            return list(session.scalars(query))

    def redeliver(self, webhook_id: str, delivery_id: str) -> WebhookDelivery | None:
        """The delivery pending again and due now, with the same webhook-id."""
        with transaction(self.sessions) as session:
            delivery = session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id)
                .with_for_update()
            ).one_or_none()
            if delivery is None:
                return None
            delivery.status, delivery.next_attempt_at = "pending", utcnow()
            _wake_dispatchers(session)
            return delivery

    # -- the workers' side ---------------------------------------------------------

    def claim_due(self, lease: timedelta, limit: int = 100) -> list[str]:
        """Ids of pending deliveries that are due, each moved ``lease`` ahead so that
        no other dispatcher hands it out meanwhile (and one whose task died is handed out
        again once the lease ends)."""
        now = utcnow()
        due = (WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= now)
        with self.engine.connect() as connection:
            ids = list(
                connection.execute(
                    select(WebhookDelivery.id)
                    .where(due)
                    .order_by(WebhookDelivery.next_attempt_at)
                    .limit(limit)
                ).scalars()
            )
        if not ids:
            return []
        with transaction(self.sessions) as session:
            return list(
                session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(ids), due)
                    .values(next_attempt_at=now + lease)
                    .returning(WebhookDelivery.id)
                ).scalars()
            )

    def to_send(self, delivery_id: str) -> tuple[WebhookDelivery, Webhook] | None:
        """A pending delivery and its webhook; None when there is nothing to send."""
        with self.sessions() as session:
            row = session.execute(
                select(WebhookDelivery, Webhook)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending")
            ).one_or_none()
            return None if row is None else (row[0], row[1])

    def record_attempt(
        self,
        delivery_id: str,
        attempt: dict[str, Any],
        verdict: Verdict,
        disable_after: timedelta,
    ) -> None:
        """Add ``attempt`` to the delivery and apply ``verdict``; a success clears its
        webhook's failing_since, a failure starts it, and a webhook that has failed every
        delivery for ``disable_after`` is disabled."""
        now = utcnow()
        with transaction(self.sessions) as session:
            delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if delivery is None or delivery.status != "pending":
                return
            delivery.attempts = [*delivery.attempts, attempt]
            delivery.status = "pending" if verdict.status == "retry" else verdict.status
            delivery.next_attempt_at = verdict.next_attempt_at
            hook = session.get(Webhook, delivery.webhook_id, with_for_update=True)
            if hook is None:
                return
            if verdict.status == "succeeded":
                hook.failing_since = None
                return
            hook.failing_since = hook.failing_since or now
            if hook.enabled and now - hook.failing_since >= disable_after:
                hook.enabled = False
                hours = disable_after.total_seconds() / 3600
                hook.disabled_reason = (
                    f"every delivery since {hook.failing_since.isoformat()} failed (more than "
                    f"{hours:g} h, REGULAB_WEBHOOK_DISABLE_AFTER_HOURS); fix the endpoint and "
                    "create the webhook again"
                )


def _wake_dispatchers(session: Session) -> None:
    """On PostgreSQL, tell the workers' dispatchers (at the commit) that a delivery is due."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {DELIVERIES}"))
