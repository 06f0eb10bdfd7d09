"""Webhooks (Standard Webhooks 1.0): a caller's endpoints, told of its events.

Each delivery is a POST with ``webhook-id`` (the same on every retry of it),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,`` and the base64
HMAC-SHA256 of ``id.timestamp.body`` under the secret's bytes; two, space-separated,
while a rotated secret's predecessor still signs), and the body
``{"type": ..., "timestamp": ..., "data": ...}`` where ``data`` is the event (EventRead).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import AnyUrl, BaseModel, Field, field_validator

from api_schemas.input import InputModel

EventType = Literal[
    "job.queued",
    "job.running",
    "job.progress",
    "job.epoch",
    "job.baseline_epoch",
    "job.stage",
    "job.fold",
    "job.succeeded",
    "job.failed",
    "job.cancelled",
    "scoring.queued",
    "scoring.running",
    "scoring.progress",
    "scoring.chunk",
    "scoring.succeeded",
    "scoring.failed",
    "scoring.cancelled",
    "sweep.running",
    "sweep.task_finished",
    "sweep.succeeded",
    "sweep.failed",
    "sweep.cancelled",
    "comparison.running",
    "comparison.task_finished",
    "comparison.succeeded",
    "comparison.failed",
    "comparison.cancelled",
]
#: Every event type a webhook may ask for (``webhook.test`` comes from POST …/test).
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


class WebhookCreate(InputModel):
    url: AnyUrl = Field(
        description="http or https. An address on loopback, a private network, link-local or "
        "multicast is refused unless the server sets REGULAB_WEBHOOK_ALLOW_PRIVATE.",
        examples=["https://example.com/hooks/regulab"],
    )
    events: list[EventType] = Field(
        min_length=1,
        max_length=len(EVENT_TYPES),
        description="The event types to send, each once.",
        json_schema_extra={"uniqueItems": True},
    )
    description: str = Field("", max_length=500)

    @field_validator("events")
    @classmethod
    def _distinct(cls, events: list[str]) -> list[str]:
        if len(set(events)) != len(events):
            raise ValueError("each event type once")
        return events


class WebhookRead(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None = Field(
        description="Why the server stopped sending (every delivery failed for "
        "REGULAB_WEBHOOK_DISABLE_AFTER_HOURS)."
    )
    failing_since: datetime | None = Field(
        description="The first failed delivery since the last that succeeded."
    )
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the secret before the last rotation signs beside the new one."
    )
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="whsec_ and the base64 signing key: shown here (and by rotate-secret) "
        "only; keep it."
    )


class WebhookList(BaseModel):
    items: list[WebhookRead]


class SecretRotated(BaseModel):
    secret: str
    previous_secret_expires_at: datetime


class DeliveryAttempt(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None = Field(description="None when no answer came (error says why).")
    duration_ms: float
    error: str | None
    response: str | None = Field(description="The first 1 KB of the answer's body.")


class DeliveryRead(BaseModel):
    id: str = Field(description="The webhook-id header: the same on every attempt.")
    webhook_id: str
    event_id: int | None = Field(description="None for a test delivery.")
    type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: list[DeliveryAttempt]
    next_attempt_at: datetime | None = Field(description="When pending: the next try.")
    created_at: datetime


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page.")
