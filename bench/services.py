"""The production shape on this machine, for benchmarks: a PostgreSQL database and a Redis
db number of the benchmark's own (removed afterwards), and a scratch folder."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from service.config import Settings
from service.migrate import upgrade_database
from tests import backends


@contextmanager
def production_settings(**overrides: Any) -> Iterator[tuple[Settings, Path]]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        backends.postgres_database() as database_url,
        backends.redis_db() as db,
    ):
        folder = Path(tmp)
        settings = Settings(
            data_dir=folder / "data",
            database_url=database_url,
            broker_url=backends.redis_url(db),
            log_level="WARNING",
            **overrides,
        )
        upgrade_database(settings)
        yield settings, folder
