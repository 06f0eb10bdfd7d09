"""``regulab up``: migrations, then an API and a worker process under one supervisor that
says it is up once the API answers and stops both, warmly, on Ctrl-C or when one dies."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from types import FrameType

from service.cli import check_exposure
from service.config import Settings

log = logging.getLogger("regulab")
STOP_GRACE_SECONDS = 30.0
#: prctl(2): the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def supervised(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child of ``regulab up`` in a process group of its own, so a terminal's Ctrl-C
    (sent to the whole foreground group, once or twice) reaches only ``up``, which stops
    the children with one SIGTERM: a warm shutdown that hands running jobs back. On Linux
    the child also gets SIGTERM if ``up`` dies without stopping it."""
    return subprocess.Popen(argv, env=env, process_group=0, preexec_fn=_term_with_parent)  # noqa: PLW1509 (no thread runs yet)


def _term_with_parent() -> None:
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def port_taken(host: str, port: int) -> bool:
    """Whether ``host:port`` cannot be bound now (as uvicorn will bind it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def serving(api: subprocess.Popen[bytes], settings: Settings, timeout: float = 60.0) -> bool:
    """Wait until the API answers /healthz; False if it exits or stays silent first."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{settings.port}/healthz"
    deadline = time.monotonic() + timeout
    while api.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                return bool(answer.status == 200)
        except OSError:
            time.sleep(0.1)
    return False


def run_up(settings: Settings, concurrency: int) -> int:
    """Supervise an API and a worker process; stop both on Ctrl-C or when one dies. Says
    it is up once the API answers, and refuses at once when its port is taken."""
    from service.migrate import upgrade_database

    check_exposure(settings)
    if port_taken(settings.host, settings.port):
        print(
            f"regulab cannot start: {settings.host}:{settings.port} is already in use (another "
            "regulab, or another server). Stop it, or pass --port.",
            file=sys.stderr,
        )
        return 1
    upgrade_database(settings)
    env = {**os.environ, **settings.as_env()}
    base = [sys.executable, "-m", "service.cli"]
    children = {
        "worker": supervised([*base, "worker", f"--concurrency={concurrency}"], env),
        "api": supervised([*base, "api", "--no-migrate"], env),
    }
    if not serving(children["api"], settings):
        _stop_children(list(children.values()))
        print("regulab did not start: the API never answered (its log is above).", file=sys.stderr)
        return 1
    print(
        f"regulab is up: http://{settings.host}:{settings.port} (docs at /docs)\n"
        f"  store:     {settings.sqlalchemy_url}\n"
        f"  broker:    {settings.broker_url}\n"
        f"  storage:   {settings.storage}\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                log.error("%s exited with code %s; stopping", name, child.returncode)
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.2)
    _stop_children(list(children.values()))
    return exit_code


def _stop_children(children: Sequence[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
