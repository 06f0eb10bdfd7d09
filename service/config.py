"""One typed Settings for every regulab process, read from ``REGULAB_*`` variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from urllib.request import url2pathname

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from service.config_events import EventSettings
from service.config_limits import LimitSettings

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "regulab"
_DATABASE_SCHEMES = ("sqlite", "postgresql")
_BROKER_SCHEMES = ("filesystem", "redis", "rediss", "amqp", "amqps", "pyamqp")
_STORAGE_SCHEMES = ("file", "s3")


class Settings(LimitSettings, EventSettings):
    """Every setting is an environment variable: ``REGULAB_`` + the field name in capitals.

    The defaults are the embedded setup: SQLite and kombu's filesystem transport
    under ``data_dir``, so one machine needs no Redis, PostgreSQL or Docker. What
    bounds a request or a job is in ``LimitSettings``; events and webhooks in
    ``EventSettings``.
    """

    model_config = SettingsConfigDict(env_prefix="REGULAB_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        DEFAULT_DATA_DIR,
        description="Root for the embedded defaults (SQLite file, broker folder) and data files.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the store; default sqlite:///<data_dir>/regulab.db. "
        "postgresql://… uses psycopg 3.",
    )
    broker_url: str = Field(
        "filesystem://",
        description="Celery broker; filesystem:// keeps messages under <data_dir>/broker; "
        "redis://host:6379/0 or amqp://user:password@host:5672/vhost (RabbitMQ, quorum "
        "queues) for more than one machine.",
    )
    storage_url: str | None = Field(
        None,
        description="Where job files, uploaded datasets and model files live: file:///path "
        "(default file://<data_dir>/artifacts; every process must see the folder) or "
        "s3://bucket/prefix (any host; credentials from the usual AWS chain).",
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="Endpoint of an S3-compatible server (MinIO, Ceph, R2), e.g. "
        "http://minio:9000; unset: AWS S3.",
    )
    storage_redirect_downloads: bool = Field(
        False,
        description="With s3:// storage, answer file downloads with a 307 redirect to a "
        "presigned URL instead of streaming them through the API.",
    )
    storage_presign_seconds: int = Field(
        300, ge=1, le=604_800, description="How long a presigned download URL stays valid."
    )
    dataset_cache_bytes: int = Field(
        2_147_483_648,
        ge=0,
        description="With s3:// storage, each worker host keeps uploaded datasets it has "
        "read under <data_dir>/dataset-cache by content hash, up to this many bytes (the "
        "least recently used go first). 0: no cache.",
    )
    queue: str = Field("regulab", description="Celery queue that jobs are published to.")
    gpu_queue: str = Field(
        "gpu", description="Queue for jobs that ask for device cuda (workers with a GPU)."
    )
    webhook_queue: str = Field(
        "regulab.webhooks",
        description="Celery queue of webhook deliveries (every worker serves it unless given "
        "--queues).",
    )
    figure_queue: str = Field(
        "regulab.figures",
        description="Celery queue of figures to draw once asked for (every worker serves it "
        "unless given --queues).",
    )
    figure_wait_seconds: float = Field(
        10.0,
        ge=0,
        le=60,
        description="How long a download of a figure not drawn yet waits for a worker to "
        "draw it before answering 202 with Retry-After.",
    )
    broker_polling_interval: float = Field(
        0.05, gt=0, le=5, description="Seconds between polls of the filesystem broker."
    )
    host: str = Field("127.0.0.1", description="Address the API binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the API listens on.")
    log_level: str = Field("INFO", description="Log level of every process.")
    log_format: Literal["text", "json"] = Field(
        "text",
        description="text, or json: one object a line (time, level, logger, message, "
        "request_id, job_id, attempt).",
    )

    api_keys: SecretStr | None = Field(
        None,
        description="Comma-separated API keys; when set, /v1 requires Authorization: Bearer "
        "<key> and each key sees only its own jobs.",
    )
    allow_open: bool = Field(
        False,
        description="Let the API bind to a non-loopback address without API keys.",
    )
    download_datasets: bool = Field(
        True,
        description="Download fashion_mnist's files on first use (checked against their "
        "checksums); false: the files must be put in <data_dir>/fashion_mnist by hand.",
    )
    fashion_mnist_mirrors: str = Field(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        min_length=1,
        description="Comma-separated base URLs that serve fashion_mnist's four files, "
        "tried in order.",
    )
    fashion_mnist_checksums: str = Field(
        "",
        description="Comma-separated file=hex digests (MD5 or SHA-256) for mirrors that "
        "serve other files than the published ones; empty: the published MD5s.",
    )
    heartbeat_seconds: float = Field(
        5.0, gt=0, description="How often a running job writes its heartbeat."
    )
    checkpoint_seconds: float = Field(
        0.1,
        ge=0,
        le=5,
        description="A job's step that ends within this of its last write is written with "
        "the next one (or with the result): progress, history and stop requests are seen "
        "at most this late. 0 writes every step at once.",
    )
    stale_after_seconds: float = Field(
        30.0, gt=0, description="A running job whose heartbeat is older than this is lost."
    )
    reaper_interval_seconds: float = Field(
        10.0, gt=0, description="How often each worker's reaper sweeps for lost jobs."
    )
    republish_after_seconds: float = Field(
        60.0,
        gt=0,
        description="A queued job whose message was sent longer ago than this (or never) "
        "is published again.",
    )
    max_attempts: int = Field(
        3, ge=1, le=100, description="Attempts before a job whose workers die fails."
    )
    job_default_max_seconds: int = Field(
        3600, ge=1, description="Time limit of a job that sets no max_seconds."
    )
    job_max_seconds: int = Field(
        86_400, ge=1, description="The largest max_seconds a job may ask for."
    )
    worker_threads: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="CPU threads of torch and BLAS in each worker process; default: the "
        "machine's cores divided among the worker's processes.",
    )

    @model_validator(mode="after")
    def _consistent_timing(self) -> Settings:
        if self.stale_after_seconds <= self.heartbeat_seconds:
            raise ValueError("stale_after_seconds must be above heartbeat_seconds")
        if self.job_default_max_seconds > self.job_max_seconds:
            raise ValueError("job_default_max_seconds must be at most job_max_seconds")
        return self

    @field_validator("api_keys")
    @classmethod
    def _non_empty_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        keys = [k.strip() for k in value.get_secret_value().split(",")]
        if any(len(k) < 16 for k in keys):
            raise ValueError("each API key must have at least 16 characters")
        return value

    @property
    def api_key_list(self) -> list[str]:
        if self.api_keys is None:
            return []
        return [k.strip() for k in self.api_keys.get_secret_value().split(",")]

    @property
    def binds_loopback_only(self) -> bool:
        return self.host in {"127.0.0.1", "localhost", "::1"}

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = urlsplit(value).scheme.split("+")[0]
        if scheme not in _DATABASE_SCHEMES:
            raise ValueError(f"database_url must start with one of {_DATABASE_SCHEMES}")
        return value

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in _BROKER_SCHEMES:
            raise ValueError(f"broker_url must start with one of {_BROKER_SCHEMES}")
        return value

    @field_validator("storage_url")
    @classmethod
    def _known_storage(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in _STORAGE_SCHEMES:
            raise ValueError(f"storage_url must start with one of {_STORAGE_SCHEMES}")
        if parts.scheme == "s3" and not parts.netloc:
            raise ValueError("storage_url s3://bucket/prefix must name a bucket")
        if parts.scheme == "file" and not parts.path.startswith("/"):
            raise ValueError("storage_url file:///path must be an absolute path")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The store URL with the driver named: psycopg 3 for PostgreSQL."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'regulab.db'}"
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+psycopg://" + url.removeprefix(plain)
        return url

    @cached_property
    def storage(self) -> str:
        """The storage URL, the default filled in."""
        return self.storage_url or (self.data_dir / "artifacts").absolute().as_uri()

    @property
    def uses_local_storage(self) -> bool:
        return self.storage.startswith("file://")

    @property
    def artifacts_root(self) -> Path:
        """The folder of file:// storage."""
        if not self.uses_local_storage:
            raise ValueError(f"storage {self.storage} is not a local folder")
        return Path(url2pathname(urlsplit(self.storage).path))

    @property
    def dataset_cache_folder(self) -> Path:
        return self.data_dir / "dataset-cache"

    @property
    def uses_amqp_broker(self) -> bool:
        return urlsplit(self.broker_url).scheme in {"amqp", "amqps", "pyamqp"}

    @property
    def uses_filesystem_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    @property
    def broker_folder(self) -> Path:
        return self.data_dir / "broker"

    def as_env(self) -> dict[str, str]:
        """The settings as ``REGULAB_*`` variables, for child processes."""
        env: dict[str, str] = {}
        for name in type(self).model_fields:
            value: Any = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if value is not None:
                env[f"REGULAB_{name.upper()}"] = str(value)
        return env
