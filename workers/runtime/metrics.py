"""A worker's Prometheus metrics, served by ``regulab worker --metrics-port``.

Celery's prefork pool runs jobs in child processes, so the metrics use
prometheus-client's multiprocess mode: ``regulab worker --metrics-port`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before anything imports the library (it
picks its mode at import), every process writes its samples there, and the main
process serves their sum. Without ``--metrics-port`` the same objects count in memory
and nobody reads them.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

#: Seconds: a small linear fit takes milliseconds, a network minutes.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)

JOBS = Counter(
    "regulab_worker_jobs", "Job attempts a worker ran, by kind and outcome.", ["kind", "outcome"]
)
JOB_SECONDS = Histogram(
    "regulab_job_duration_seconds",
    "Claim to end of a job's attempt, by model kind and outcome.",
    ["model", "outcome"],
    buckets=DURATION_BUCKETS,
)
FIT_SECONDS = Histogram(
    "regulab_fit_seconds",
    "Fit time of a succeeded job's regularized model, by model kind.",
    ["model"],
    buckets=DURATION_BUCKETS,
)
FIGURES = Counter("regulab_figures_drawn", "Figures drawn, by outcome.", ["outcome"])
REAPER_ACTIONS = Counter("regulab_reaper_actions", "What the reaper did, by action.", ["action"])
HEARTBEAT_AGE = Gauge(
    "regulab_oldest_heartbeat_age_seconds",
    "Age of the oldest heartbeat among running jobs, as the reaper last saw it.",
    multiprocess_mode="max",
)


def serve(port: int, host: str = "0.0.0.0") -> Any:
    """Serve the sum of every process's samples on ``port`` (``GET /metrics``)."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return start_http_server(port, addr=host, registry=registry)
