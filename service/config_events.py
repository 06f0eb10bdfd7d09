"""The settings of events and webhooks: how long events are kept and streamed, and how
deliveries are sent, retried and given up on (part of ``Settings``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EventSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGULAB_", extra="ignore", frozen=True)

    event_retention_days: float = Field(
        7.0,
        gt=0,
        le=3650,
        description="Events older than this are pruned by the workers' reaper; a "
        "Last-Event-ID or ?after= from before the pruning gets 410.",
    )
    event_stream_seconds: float = Field(
        3600.0,
        gt=0,
        le=86_400,
        description="The longest an event stream stays open; a client then reconnects with "
        "Last-Event-ID (EventSource does by itself) and misses nothing.",
    )
    webhook_allow_private: bool = Field(
        False,
        description="Send webhooks to loopback, private, link-local and multicast addresses "
        "(a receiver on the same host or network); refused by default.",
    )
    webhook_max_attempts: int = Field(
        8, ge=1, le=50, description="Attempts of one delivery before it fails."
    )
    webhook_retry_schedule: str = Field(
        "5,30,120,600,3600,7200,14400",
        pattern=r"^\d+(\.\d+)?(,\d+(\.\d+)?)*$",
        description="Seconds before each retry of a delivery (the last repeats), each with "
        "up to 20% jitter; a Retry-After that asks for longer is honoured.",
    )
    webhook_disable_after_hours: float = Field(
        120.0,
        gt=0,
        description="A webhook whose every delivery has failed for this long is disabled.",
    )
    webhook_secret_grace_hours: float = Field(
        24.0,
        ge=0,
        description="After a rotate-secret, the old secret signs beside the new for this long.",
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="A delivery's whole request, connecting included."
    )

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        return tuple(float(part) for part in self.webhook_retry_schedule.split(","))
