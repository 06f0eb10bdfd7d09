"""The ``regulab`` command: up (API + worker), api, worker, migrate; and the client's
jobs, datasets, sweeps and comparisons (``regulab_client.cli``).

Settings come from ``REGULAB_*`` variables; flags override the few that a
deployment sets per process. The server's imports wait until a server command runs,
so the client's commands work where only the bare distribution is installed.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from service.logs import configure_logging

if TYPE_CHECKING:
    from service.config import Settings

log = logging.getLogger("regulab")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regulab",
        description=__doc__,
        epilog="Client commands: regulab [--url URL] [--api-key KEY] [--json] "
        "jobs|datasets|sweeps|comparisons … (regulab jobs --help).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the API and one worker together")
    api = commands.add_parser("api", help="run the HTTP API")
    for sub in (up, api):
        sub.add_argument("--host", help="bind address (REGULAB_HOST)")
        sub.add_argument("--port", type=int, help="port (REGULAB_PORT)")
    api.add_argument(
        "--no-migrate", action="store_true", help="do not upgrade the store's schema at start"
    )
    for sub in (up, api):
        sub.add_argument(
            "--allow-open",
            action="store_true",
            default=None,
            help="serve without API keys on a non-loopback address (REGULAB_ALLOW_OPEN)",
        )

    worker = commands.add_parser("worker", help="run a Celery worker")
    worker.add_argument(
        "--queues",
        help="comma-separated queues (default: REGULAB_QUEUE, REGULAB_WEBHOOK_QUEUE and "
        "REGULAB_FIGURE_QUEUE)",
    )
    for sub in (up, worker):
        sub.add_argument("--concurrency", type=int, default=1, help="worker processes")
    worker.add_argument(
        "--pool",
        choices=["prefork", "solo", "threads"],
        help="Celery pool; default prefork, or solo on the GPU queue (CUDA does not survive "
        "a fork)",
    )
    worker.add_argument(
        "--liveness-file",
        type=Path,
        help="touched after every reaper round, for a container healthcheck",
    )
    worker.add_argument(
        "--metrics-port",
        type=int,
        help="serve Prometheus metrics (jobs run, durations, fit seconds, heartbeat age, "
        "reaper actions; every pool process's) on this port at /metrics",
    )

    commands.add_parser("migrate", help="upgrade the store's schema to the newest revision")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    from service.config import Settings

    flags = ("host", "port", "allow_open")
    overrides = {k: v for k in flags if (v := getattr(args, k, None)) is not None}
    return Settings(**overrides)


class OpenBindError(SystemExit):
    pass


def check_exposure(settings: Settings) -> None:
    """Refuse to serve without keys beyond loopback unless allowed; say when open."""
    if settings.api_key_list:
        log.info("API keys are required on /v1 (%d configured)", len(settings.api_key_list))
        return
    if not settings.binds_loopback_only and not settings.allow_open:
        raise OpenBindError(
            f"refusing to serve without API keys on {settings.host}: set REGULAB_API_KEYS, "
            "bind to 127.0.0.1, or pass --allow-open (REGULAB_ALLOW_OPEN=true)"
        )
    log.warning(
        "serving WITHOUT API keys on %s: anyone who can reach it can submit and read jobs",
        settings.host,
    )


def run_api(settings: Settings, migrate: bool) -> int:
    import uvicorn

    from service.main import create_app
    from service.migrate import upgrade_database

    check_exposure(settings)
    if migrate:
        upgrade_database(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        log_config=None,  # uvicorn's lines go to the root handler, in REGULAB_LOG_FORMAT
    )
    return 0


def worker_pool(settings: Settings, queues: str, pool: str | None) -> str:
    """prefork, unless the worker serves the GPU queue: CUDA cannot be used in a process
    forked after it was initialised, so GPU workers default to the solo pool."""
    if pool is not None:
        return pool
    return "solo" if settings.gpu_queue in queues.split(",") else "prefork"


@dataclass(frozen=True)
class WorkerOptions:
    """``regulab worker``'s flags."""

    queues: str | None = None
    concurrency: int = 1
    pool: str | None = None
    liveness_file: Path | None = None
    metrics_port: int | None = None


def run_worker(settings: Settings, options: WorkerOptions) -> int:
    metrics_port, liveness_file = options.metrics_port, options.liveness_file
    concurrency = options.concurrency
    if metrics_port is not None:
        # Before prometheus-client is imported: it picks multiprocess mode at import.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="regulab-metrics-")
    from workers.runtime import celery_app
    from workers.runtime.cpu_threads import threads_per_process

    queues = options.queues or f"{settings.queue},{settings.webhook_queue},{settings.figure_queue}"
    pool = worker_pool(settings, queues, options.pool)

    celery_app.liveness_file = liveness_file
    celery_app.metrics_port = metrics_port
    processes = concurrency if pool == "prefork" else 1
    celery_app.threads_per_process = threads_per_process(settings.worker_threads, processes)
    # A node name per process: a warm shutdown hands back only this worker's jobs.
    nodename = f"regulab-{os.getpid()}@{socket.gethostname()}"
    try:
        celery_app.app.worker_main(
            [
                # Celery's start-up banner is not a log line: none in JSON logs.
                *(["--quiet"] if settings.log_format == "json" else []),
                "worker",
                f"--hostname={nodename}",
                f"--queues={queues}",
                f"--concurrency={concurrency}",
                f"--pool={pool}",
                f"--loglevel={settings.log_level}",
                "--without-mingle",
                "--without-gossip",
            ]
        )
        code = 0
    except SystemExit as done:  # how Celery's worker command returns its exit code
        code = done.code if isinstance(done.code, int) else 1
    # The warm shutdown is over: jobs handed back, pool processes joined, the broker
    # connection closed. What the interpreter would still run at exit is billiard's
    # finalizer joining its pool's handler threads, one sleep loop at a time: about 6 s
    # of a stopping worker doing nothing (bench: a SIGTERM took 11 s to end the process).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def client_command(argv: Sequence[str]) -> bool:
    """Whether the command line is one of the client's (``regulab [--url U] jobs …``)."""
    from regulab_client.cli import COMMANDS, GLOBAL_OPTIONS

    words = iter(argv)
    for word in words:
        if word in GLOBAL_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word in COMMANDS
    return False


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if client_command(argv):
        from regulab_client.cli import main as client_main

        return client_main(argv)
    args = build_parser().parse_args(argv)
    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_format)
    match args.command:
        case "up":
            from service.supervisor import run_up

            return run_up(settings, args.concurrency)
        case "api":
            return run_api(settings, migrate=not args.no_migrate)
        case "worker":
            options = WorkerOptions(
                args.queues, args.concurrency, args.pool, args.liveness_file, args.metrics_port
            )
            return run_worker(settings, options)
        case "migrate":
            from service.migrate import upgrade_database

            upgrade_database(settings)
            return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
