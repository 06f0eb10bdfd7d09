"""SQL tables: the store is the system of record for jobs and their artifacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from service.db import UTCDateTime

#: Event ids: 64-bit (progress events add up), SQLite's INTEGER (its rowid) there.
EVENT_ID = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(32), server_default="anonymous")
    status: Mapped[str] = mapped_column(String(16), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    dataset_name: Mapped[str] = mapped_column(String(64))
    #: An uploaded dataset's id and the sha256 of its bytes: which data made the result.
    dataset_id: Mapped[str | None] = mapped_column(String(36), index=True)
    dataset_hash: Mapped[str | None] = mapped_column(String(64))
    #: A job that is a trial of a sweep or comparison (``trial``: its index; the first
    #: ``cv.folds`` trials are the folds, a path sweep's last is the path on every row).
    sweep_id: Mapped[str | None] = mapped_column(
        ForeignKey("sweeps.id", ondelete="CASCADE", name="fk_jobs_sweep_id"), index=True
    )
    trial: Mapped[int | None] = mapped_column(Integer)
    #: A scoring (``service.scorings``): the job whose model it predicts with; its spec
    #: is a ``ScoringSpec``, not a ``JobCreate``.
    scores_job_id: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE", name="fk_jobs_scores_job_id"), index=True
    )
    model_kind: Mapped[str] = mapped_column(String(32))
    max_seconds: Mapped[int] = mapped_column(Integer, server_default="3600")
    #: The Celery queue the job's messages go to (the GPU queue for CUDA jobs).
    queue: Mapped[str] = mapped_column(String(64), server_default="regulab")
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    retry_of: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL", name="fk_jobs_retry_of")
    )
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(255))
    #: "cancel" (the user asked) or "handback" (the worker is shutting down).
    stop_request: Mapped[str | None] = mapped_column(String(16))
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    artifacts: Mapped[list[JobArtifact]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobArtifact.name"
    )

    __table_args__ = (
        Index("ix_jobs_created_at_id", "created_at", "id"),
        Index("ix_jobs_owner_created_at", "owner", "created_at"),
        UniqueConstraint("owner", "idempotency_key", name="uq_jobs_owner_idempotency_key"),
    )


class JobArtifact(Base):
    __tablename__ = "job_artifacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    media_type: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(Integer)
    #: ``api_schemas.results.ArtifactState``; a figure is ``available`` until asked for.
    state: Mapped[str] = mapped_column(String(16), default="ready", server_default="ready")
    error: Mapped[str | None] = mapped_column(Text)
    #: When a figure was last asked to be drawn (a lost request is asked again).
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    job: Mapped[Job] = relationship(back_populates="artifacts")

    __table_args__ = (UniqueConstraint("job_id", "name", name="uq_job_artifacts_job_id_name"),)


class JobHistory(Base):
    """One row per finished training step (a stage of a linear fit, an epoch of a net)."""

    __tablename__ = "job_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_job_history_job_id_attempt_step", "job_id", "attempt", "step"),)


class UploadedDataset(Base):
    """A table a caller uploaded, stored as Parquet in the artifact store under ``key``."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    format: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(255))
    task: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    classes: Mapped[list[str] | None] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("owner", "content_hash", "target", name="uq_datasets_owner_hash"),
    )


class Sweep(Base):
    """A sweep or comparison; its trials are jobs (``Job.sweep_id``, ``Job.trial``)."""

    __tablename__ = "sweeps"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), server_default="sweep")  # or comparison
    status: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    trials: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    aggregating_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_sweeps_owner_kind_created_at", "owner", "kind", "created_at"),)


class RegisteredModel(Base):
    """A name a caller gives a line of trained models: its versions point at succeeded
    jobs, its aliases (``production``) at versions."""

    __tablename__ = "registered_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    #: The highest version number ever given: the next is one more, so a number is never
    #: reused after its version is deleted.
    last_version: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("owner", "name", name="uq_registered_models_owner_name"),)


class ModelVersion(Base):
    """Version ``version`` of a registered model: a succeeded job with an exported model.

    ``job_id`` is ON DELETE RESTRICT: a job that is a version cannot be deleted (the jobs
    store answers 409 before the database has to refuse it)."""

    __tablename__ = "model_versions"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE", name="fk_model_versions_model_id"),
        primary_key=True,
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(
        ForeignKey("jobs.id", ondelete="RESTRICT", name="fk_model_versions_job_id"), index=True
    )
    #: The job's ``export.input`` (a ModelInput): what the version takes.
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ModelAlias(Base):
    """A name (``production``) for one version of a registered model; a version that an
    alias points at cannot be deleted (the foreign key refuses it)."""

    __tablename__ = "model_aliases"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE", name="fk_model_aliases_model_id"),
        primary_key=True,
    )
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        ForeignKeyConstraint(
            ["model_id", "version"],
            ["model_versions.model_id", "model_versions.version"],
            name="fk_model_aliases_version",
        ),
    )


class Event(Base):
    """A change a caller can see (``job.succeeded``, ``sweep.task_finished``, …), written
    in the same transaction as the change. Ids grow in commit order (``service.events``),
    so ``id > after`` never skips one."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(EVENT_ID, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(32))
    #: job, scoring, sweep or comparison, and its id (no foreign key: an event outlives
    #: a deleted job until it is pruned).
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (
        Index("ix_events_subject_id_id", "subject_id", "id"),
        Index("ix_events_owner_id", "owner", "id"),
    )


class EventsPruned(Base):
    """One row: the highest event id pruned, so a ``Last-Event-ID`` at or below it is
    known to have lost events (410) rather than guessed from gaps in the ids."""

    __tablename__ = "events_pruned"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    through_id: Mapped[int] = mapped_column(EVENT_ID)


class Webhook(Base):
    """A caller's endpoint for some of its events (Standard Webhooks)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(32), index=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, server_default="")
    #: whsec_…; after a rotation the one before signs too until previous_secret_expires_at.
    secret: Mapped[str] = mapped_column(String(64))
    previous_secret: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One message to one webhook, queued with its event (the outbox) and tried until it
    succeeds, is refused, or runs out of attempts."""

    __tablename__ = "webhook_deliveries"

    #: msg_…: the webhook-id header, the same on every attempt.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE", name="fk_webhook_deliveries_webhook_id")
    )
    owner: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[int | None] = mapped_column(EVENT_ID)
    type: Mapped[str] = mapped_column(String(32))
    #: The body as sent: {"type", "timestamp", "data"}.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # pending, succeeded, failed
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Pending: when it is due. A dispatcher that hands it to a task moves this past a
    #: lease, so a task that dies is handed out again once the lease ends.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at", "id"),
    )
