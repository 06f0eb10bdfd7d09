"""One typed Settings for every regulab process, read from ``REGULAB_*`` variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "regulab"
_DATABASE_SCHEMES = ("sqlite", "postgresql")
_BROKER_SCHEMES = ("filesystem", "redis", "rediss")


class Settings(BaseSettings):
    """Every setting is an environment variable: ``REGULAB_`` + the field name in capitals.

    The defaults are the embedded setup: SQLite and kombu's filesystem transport
    under ``data_dir``, so one machine needs no Redis, PostgreSQL or Docker.
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
        description="Celery broker; filesystem:// keeps messages under <data_dir>/broker, "
        "redis://host:6379/0 in production.",
    )
    artifacts_dir: Path | None = Field(
        None, description="Where plots and other job files go; default <data_dir>/artifacts."
    )
    queue: str = Field("regulab", description="Celery queue that jobs are published to.")
    broker_polling_interval: float = Field(
        0.05, gt=0, le=5, description="Seconds between polls of the filesystem broker."
    )
    host: str = Field("127.0.0.1", description="Address the API binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the API listens on.")
    log_level: str = Field("INFO", description="Log level of every process.")

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
    def artifacts_root(self) -> Path:
        return self.artifacts_dir or self.data_dir / "artifacts"

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
            if value is not None:
                env[f"REGULAB_{name.upper()}"] = str(value)
        return env
