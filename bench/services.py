"""The production shape on this machine, for benchmarks: a PostgreSQL database and a Redis
db number of the benchmark's own (removed afterwards), and a scratch folder."""

from __future__ import annotations

import tempfile
import time
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


def time_sweep(client: Any, sweep: dict[str, Any]) -> tuple[float, str]:
    """Seconds from POST to succeeded, and the sweep's id."""
    started = time.perf_counter()
    sweep_id = str(client.post("/v1/sweeps", json=sweep).json()["id"])
    while client.get(f"/v1/sweeps/{sweep_id}").json()["status"] == "running":
        time.sleep(0.05)
    return time.perf_counter() - started, sweep_id


def wait_until_warm(client: Any) -> None:
    """A small sweep first, so the worker's pool processes have started (the worker
    imports torch and scikit-learn before it consumes): the timing is a running
    service's, not its start-up. The large dataset stays cold."""
    small = {
        "base": {
            "dataset": {"name": "diabetes"},
            "model": {"kind": "linear_regression"},
            "regularizers": [{"kind": "l1", "alpha": 1.0}],
        },
        "grid": {"alpha": {"logspace": [-2, 1, 5]}},
        "cv": {"folds": 5},
    }
    for _ in range(2):
        time_sweep(client, small)
