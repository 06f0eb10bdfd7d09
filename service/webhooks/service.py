"""WebhookService: the verbs the webhook routes call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from api_schemas.webhooks import (
    DeliveryList,
    DeliveryRead,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)
from service.pagination import page_of
from service.tables import Webhook, WebhookDelivery
from service.webhooks.addresses import UnsafeURLError, resolve
from service.webhooks.store import WebhookStore


class WebhookNotFoundError(LookupError):
    """No such webhook (or delivery) of the caller's."""


class WebhookURLError(ValueError):
    """A webhook URL the server will not send to (422 at body.url)."""


def to_read(hook: Webhook) -> WebhookRead:
    return WebhookRead(
        id=hook.id,
        url=hook.url,
        events=hook.events,
        description=hook.description,
        enabled=hook.enabled,
        disabled_reason=hook.disabled_reason,
        failing_since=hook.failing_since,
        previous_secret_expires_at=hook.previous_secret_expires_at,
        created_at=hook.created_at,
    )


def delivery_read(delivery: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead.model_validate(
        {
            "id": delivery.id,
            "webhook_id": delivery.webhook_id,
            "event_id": delivery.event_id,
            "type": delivery.type,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at if delivery.status == "pending" else None,
            "created_at": delivery.created_at,
        }
    )


@dataclass(frozen=True)
class WebhookService:
    store: WebhookStore
    allow_private: bool
    secret_grace: timedelta

    def create(self, spec: WebhookCreate, owner: str) -> WebhookCreated:
        url = str(spec.url)
        try:
            resolve(url, self.allow_private)
        except UnsafeURLError as exc:
            raise WebhookURLError(str(exc)) from None
        hook = self.store.create(owner, url, list(spec.events), spec.description)
        return WebhookCreated(**to_read(hook).model_dump(), secret=hook.secret)

    def list(self, owner: str) -> WebhookList:
        return WebhookList(items=[to_read(h) for h in self.store.of_owner(owner)])

    def get(self, webhook_id: str, owner: str) -> WebhookRead:
        return to_read(self._owned(webhook_id, owner))

    def delete(self, webhook_id: str, owner: str) -> None:
        if not self.store.delete(webhook_id, owner):
            raise WebhookNotFoundError(f"webhook: {webhook_id}")

    def rotate_secret(self, webhook_id: str, owner: str) -> SecretRotated:
        hook = self.store.rotate(webhook_id, owner, self.secret_grace)
        if hook is None or hook.previous_secret_expires_at is None:
            raise WebhookNotFoundError(f"webhook: {webhook_id}")
        return SecretRotated(
            secret=hook.secret, previous_secret_expires_at=hook.previous_secret_expires_at
        )

    def test(self, webhook_id: str, owner: str) -> DeliveryRead:
        return delivery_read(self.store.queue_test(self._owned(webhook_id, owner)))

    def deliveries(
        self, webhook_id: str, owner: str, cursor: str | None, limit: int
    ) -> DeliveryList:
        self._owned(webhook_id, owner)
        items, next_cursor = page_of(self.store.deliveries(webhook_id, cursor, limit), limit)
        return DeliveryList(items=[delivery_read(d) for d in items], next_cursor=next_cursor)

    def redeliver(self, webhook_id: str, delivery_id: str, owner: str) -> DeliveryRead:
        self._owned(webhook_id, owner)
        delivery = self.store.redeliver(webhook_id, delivery_id)
        if delivery is None:
            raise WebhookNotFoundError(f"delivery: {delivery_id}")
        return delivery_read(delivery)

    def _owned(self, webhook_id: str, owner: str) -> Webhook:
        hook = self.store.get(webhook_id, owner)
        if hook is None:
            raise WebhookNotFoundError(f"webhook: {webhook_id}")
        return hook
