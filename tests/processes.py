"""Real API and worker processes for end-to-end tests, started with the same
commands that docker-compose.yml runs."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import redis
import yaml

from service.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def compose_command(service: str) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command: list[str] = compose["services"][service]["command"]
    return command


def local_command(command: Sequence[str], **flags: str) -> list[str]:
    """A compose command run here: the venv's ``regulab`` and the given flag values."""
    assert command[0] == "regulab", command
    args = list(command[1:])
    for flag, value in flags.items():
        option = f"--{flag}"
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    executable = shutil.which("regulab", path=str(Path(sys.executable).parent))
    assert executable, "regulab is not installed in this environment"
    return [executable, *args]


class Process:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self.handle = log.open("wb")
        self.popen = subprocess.Popen(
            argv, env=env, stdout=self.handle, stderr=subprocess.STDOUT, start_new_session=True
        )

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def kill_group(self) -> None:
        """SIGKILL the process and its children at once, as a dying host would."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        self.handle.close()

    def output(self) -> str:
        if not self.handle.closed:
            self.handle.flush()
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Signal the main process (as ``docker stop`` does); kill the group if it hangs."""
        if self.alive():
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.handle.close()
        return self.popen.returncode


def child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGULAB_")}
    return {**env, **settings.as_env(), "PYTHONUNBUFFERED": "1"}


def wait_for_http(url: str, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.output()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in {timeout}s:\n{process.output()}")


class Deployment:
    """An API process and any number of worker processes on one set of settings."""

    def __init__(self, settings: Settings, workdir: Path, port: int) -> None:
        self.settings, self.workdir = settings, workdir
        self.base_url = f"http://127.0.0.1:{port}"
        self.env = child_env(settings)
        self.processes: dict[str, Process] = {}
        self.client = httpx.Client(base_url=self.base_url, timeout=30)

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        """``env``: variables of this process only (another host's data folder)."""
        process = Process(name, argv, {**self.env, **(env or {})}, self.workdir / f"{name}.log")
        self.processes[name] = process
        return process

    def start_worker(
        self, name: str = "worker", env: dict[str, str] | None = None, **flags: str
    ) -> Process:
        flags.setdefault("liveness-file", str(self.workdir / f"{name}.alive"))
        # Each its own port, as each container has: several workers share this host.
        flags.setdefault("metrics-port", str(free_port()))
        return self.start(name, local_command(compose_command("worker"), **flags), env)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.stop()
        self.client.close()

    def logs(self) -> str:
        return "\n".join(f"--- {n} ---\n{p.output()}" for n, p in self.processes.items())

    def job(self, job_id: str, resource: str = "jobs") -> dict[str, Any]:
        """A job, or with ``resource`` another kind with a job's lifecycle (scorings)."""
        response = self.client.get(f"/v1/{resource}/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        return job

    def wait_for(
        self,
        job_id: str,
        statuses: set[str],
        timeout: float = 90,
        attempt: int | None = None,
        resource: str = "jobs",
    ) -> dict[str, Any]:
        """Poll the job until its status is one of ``statuses`` (at ``attempt``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id, resource)
            if job["status"] in statuses and attempt in (None, job["attempt"]):
                return job
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id} not {statuses} in {timeout}s: {job}\n{self.logs()}")

    def wait_for_job(self, job_id: str, timeout: float = 90) -> dict[str, Any]:
        return self.wait_for(job_id, {"succeeded", "failed", "cancelled"}, timeout)


@contextmanager
def deployment(
    settings: Settings, workdir: Path, worker_flags: dict[str, str] | None = None, workers: int = 1
) -> Iterator[Deployment]:
    """The compose file's api and worker commands, as local processes."""
    port = free_port()
    running = Deployment(settings, workdir, port)
    try:
        api = running.start(
            "api", local_command(compose_command("api"), host="127.0.0.1", port=str(port))
        )
        for n in range(workers):
            running.start_worker("worker" if n == 0 else f"worker-{n}", **(worker_flags or {}))
        wait_for_http(f"{running.base_url}/readyz", api)
        yield running
    finally:
        running.stop_all()


class RedisServer:
    """A redis-server of its own on a free port, without persistence: a restart empties
    it, as an outage of a cache-only Redis would. ``start`` waits until it answers."""

    def __init__(self, folder: Path) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise FileNotFoundError("redis-server is not installed")
        self.port, self.folder, self.runs = free_port(), folder, 0
        self.argv = [server, "--port", str(self.port), "--bind", "127.0.0.1"]
        self.argv += ["--save", "", "--appendonly", "no"]
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.runs += 1
        self.process = Process("redis", self.argv, {}, self.folder / f"redis-{self.runs}.log")
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, self.process.output()
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@contextmanager
def embedded_deployment(folder: Path, **overrides: Any) -> Iterator[Deployment]:
    """The compose file's api and worker on the embedded default (SQLite, the filesystem
    broker) in ``folder``, migrated first."""
    from service.migrate import upgrade_database

    settings = Settings(data_dir=folder / "data", **overrides)
    upgrade_database(settings)
    with deployment(settings, folder) as running:
        yield running
