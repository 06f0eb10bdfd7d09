"""Webhooks: endpoints told of the caller's events, signed as Standard Webhooks has it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from api_schemas import ErrorBody, ValidationErrorBody
from api_schemas.webhooks import (
    DeliveryList,
    DeliveryRead,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)
from service.api.deps import CallerDep, ContextDep
from service.api.routes.jobs import CURSOR

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        422: {
            "model": ValidationErrorBody,
            "description": "Besides the schema (type invalid_webhook, at body.url): a URL "
            "whose host does not resolve, or resolves to a loopback, private, link-local or "
            "multicast address while the server does not allow those "
            "(REGULAB_WEBHOOK_ALLOW_PRIVATE).",
        }
    },
)
def create_webhook(spec: WebhookCreate, ctx: ContextDep, owner: CallerDep) -> WebhookCreated:
    """Send the caller's events of the listed types to ``url``. The answer holds the
    signing secret, which no GET shows again."""
    return ctx.webhooks.create(spec, owner)


@router.get("")
def list_webhooks(ctx: ContextDep, owner: CallerDep) -> WebhookList:
    """The caller's webhooks, oldest first (without their secrets)."""
    return ctx.webhooks.list(owner)


@router.get("/{webhook_id}", responses=NOT_FOUND)
def get_webhook(webhook_id: str, ctx: ContextDep, owner: CallerDep) -> WebhookRead:
    """Its events, whether it is enabled (and why not), since when its deliveries fail."""
    return ctx.webhooks.get(webhook_id, owner)


@router.delete("/{webhook_id}", status_code=204, responses=NOT_FOUND)
def delete_webhook(webhook_id: str, ctx: ContextDep, owner: CallerDep) -> None:
    """The webhook and its deliveries; nothing more is sent to it."""
    ctx.webhooks.delete(webhook_id, owner)


@router.post("/{webhook_id}/rotate-secret", responses=NOT_FOUND)
def rotate_secret(webhook_id: str, ctx: ContextDep, owner: CallerDep) -> SecretRotated:
    """A new signing secret. The old one keeps signing beside it (two signatures in
    webhook-signature) until previous_secret_expires_at (REGULAB_WEBHOOK_SECRET_GRACE_HOURS)."""
    return ctx.webhooks.rotate_secret(webhook_id, owner)


@router.post("/{webhook_id}/test", status_code=status.HTTP_202_ACCEPTED, responses=NOT_FOUND)
def test_webhook(webhook_id: str, ctx: ContextDep, owner: CallerDep) -> DeliveryRead:
    """Queue a ``webhook.test`` delivery; follow it under deliveries."""
    return ctx.webhooks.test(webhook_id, owner)


@router.get("/{webhook_id}/deliveries", responses=NOT_FOUND)
def list_deliveries(
    webhook_id: str,
    ctx: ContextDep,
    owner: CallerDep,
    cursor: Annotated[str | None, CURSOR] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DeliveryList:
    """Newest first: each delivery's event, status, every attempt (status code, duration,
    error, the first 1 KB of the answer) and, while pending, its next try."""
    return ctx.webhooks.deliveries(webhook_id, owner, cursor, limit)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    responses=NOT_FOUND,
)
def redeliver(webhook_id: str, delivery_id: str, ctx: ContextDep, owner: CallerDep) -> DeliveryRead:
    """Send the delivery again (the same webhook-id), whatever became of it."""
    return ctx.webhooks.redeliver(webhook_id, delivery_id, owner)
