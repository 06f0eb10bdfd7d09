"""The Python client against the real app (in this process, on both backends), jobs run
by the worker's own code: submit, wait on the event stream, result, history, files,
pages, errors as exceptions; retries against a real HTTP server that answers 503."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from fastapi.testclient import TestClient

from api_schemas import JobCreate, JobStatus
from regulab_client import (
    AsyncClient,
    Client,
    ConflictError,
    JobFailedError,
    NotFoundError,
    Retry,
    ServerUnavailableError,
    ValidationError,
)
from service.config import Settings
from tests.factories import job_body, run_trials
from workers.runtime.job_runner import Outcome, WorkerContext, run_job


@pytest.fixture
def regulab(client: TestClient) -> Iterator[Client]:
    yield Client(http=client)


def run(settings: Settings, job_id: str) -> None:
    assert run_job(WorkerContext.from_settings(settings), job_id, "w/1") is Outcome.succeeded


def test_submit_wait_and_read_a_job(regulab: Client, settings: Settings, tmp_path: Path) -> None:
    job = regulab.jobs.submit(job_body(figures="eager"))
    assert job.read.status is JobStatus.queued
    run(settings, job.id)
    seen: list[dict[str, Any]] = []
    done = job.wait(timeout=30, progress=seen.append)
    assert done.status is JobStatus.succeeded
    types = [event["type"] for event in seen]
    assert types[0] == "job.queued" and types[-1] == "job.succeeded" and "job.stage" in types

    result = job.result()
    assert result.coefficients is not None
    assert round(float(result.coefficients.coef[0]), 3) == 0.575  # type: ignore[arg-type]
    stages = [row.data["stage"] for row in job.history().items]
    assert stages == ["load_data", "fit_regularized", "fit_baseline", "export"]
    files = job.artifacts.download(tmp_path)
    assert {f.name for f in files} == {a.name for a in result.artifacts}
    assert (tmp_path / "fit_comparison.png").read_bytes().startswith(b"\x89PNG")
    assert not list(tmp_path.glob(".*.partial"))


def test_a_spec_may_be_a_pydantic_model(regulab: Client) -> None:
    job = regulab.jobs.submit(JobCreate.model_validate(job_body()))
    assert job.refresh().spec.regularizers[0].kind == "l1"


def test_a_repeated_idempotency_key_returns_the_first_job(regulab: Client) -> None:
    first = regulab.jobs.submit(job_body(), idempotency_key="same")
    again = regulab.jobs.submit(job_body(), idempotency_key="same")
    assert first.id == again.id
    assert [j.id for j in regulab.jobs.list()] == [first.id]


def test_errors_are_exceptions_carrying_the_server_s_body(
    regulab: Client, settings: Settings
) -> None:
    body = job_body(regularizers=[{"kind": "l1", "alpha": -1}])
    with pytest.raises(ValidationError) as invalid:
        regulab.jobs.submit(body)
    assert invalid.value.status == 422
    assert [loc for loc, _ in invalid.value.fields] == ["body.regularizers.0.l1.alpha"]
    with pytest.raises(NotFoundError):
        regulab.jobs.get("no-such-job")
    job = regulab.jobs.submit(job_body())
    with pytest.raises(ConflictError) as early:
        job.result()
    assert "queued" in early.value.body["detail"]


def test_list_iterates_every_page(regulab: Client) -> None:
    ids = [regulab.jobs.submit(job_body()).id for _ in range(5)]
    assert [j.id for j in regulab.jobs.list(page_size=2)] == ids[::-1]
    assert list(regulab.jobs.list(status="succeeded")) == []


def test_waiting_on_a_cancelled_job_raises(regulab: Client) -> None:
    job = regulab.jobs.submit(job_body())
    assert job.cancel().status is JobStatus.cancelled
    with pytest.raises(JobFailedError) as stopped:
        job.wait(timeout=30)
    assert stopped.value.job.status is JobStatus.cancelled
    assert job.wait(timeout=30, check=False).status is JobStatus.cancelled


def test_the_async_client_mirrors_the_sync_one(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    table = tmp_path / "houses.csv"
    table.write_text("size,price\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(40)))
    sweep = {
        "base": job_body(dataset={"name": "diabetes"}, split={"test_fraction": 0.2}),
        "grid": {"alpha": {"logspace": [-2, 1, 4]}},
        "cv": {"folds": 3},
    }

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=client.app)
        http = httpx.AsyncClient(transport=transport, base_url="http://regulab")
        async with AsyncClient(http=http) as regulab:
            job = await regulab.jobs.submit(job_body(figures="eager"))
            await asyncio.to_thread(run, settings, job.id)
            assert (await job.wait(timeout=30)).status is JobStatus.succeeded
            result = await job.result()
            assert result.estimator == "Lasso(alpha=0.2)"
            assert [j.id async for j in regulab.jobs.list()] == [job.id]
            files = await job.artifacts.download(tmp_path / "files", names=["coefficients.png"])
            assert files[0].read_bytes().startswith(b"\x89PNG")

            upload = await regulab.datasets.upload(table, target="price")
            assert (upload.rows, upload.target) == (40, "price")
            preview = await regulab.datasets.preview(upload.id, rows=2)
            assert preview.rows == [[0, 1], [1, 3]]
            assert upload.id in {d.id for d in await regulab.datasets.list()}

            submitted = await regulab.sweeps.submit(sweep)
            await asyncio.to_thread(run_trials, settings, submitted.id)
            assert (await submitted.wait(timeout=30)).status == "succeeded"
            assert (await submitted.result()).best["alpha"] > 0

    asyncio.run(scenario())


class FlakyServer(BaseHTTPRequestHandler):
    """503 for the first ``failures`` requests, then a job; it keeps each request's
    method and Idempotency-Key."""

    failures: ClassVar[int] = 2
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def answer(self) -> None:
        FlakyServer.seen.append((self.command, self.headers.get("Idempotency-Key")))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if len(FlakyServer.seen) <= FlakyServer.failures:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            body = json.dumps({"detail": "store: down"}).encode()
        else:
            self.send_response(202 if self.command == "POST" else 200)
            body = json.dumps(
                {"id": "j1", "status": "queued", "url": "/v1/jobs/j1", "spec": job_body(),
                 "attempt": 0, "max_seconds": 60, "progress": None, "cancel_requested": False,
                 "created_at": "2026-11-29T00:00:00Z", "started_at": None,
                 "heartbeat_at": None, "finished_at": None, "error": None, "retry_of": None,
                 "result_url": None}
            ).encode()  # fmt: skip
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[str]:
    FlakyServer.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_submit_is_retried_with_one_idempotency_key(flaky: str) -> None:
    with Client(flaky, retry=Retry(attempts=4, backoff=0.01)) as regulab:
        job = regulab.jobs.submit(job_body())
    assert job.id == "j1"
    posts = [key for method, key in FlakyServer.seen if method == "POST"]
    assert len(posts) == 3 and len(set(posts)) == 1 and posts[0]


def test_retries_give_up_with_the_server_s_answer(flaky: str) -> None:
    FlakyServer.failures = 10
    try:
        with (
            Client(flaky, retry=Retry(attempts=3, backoff=0.01)) as regulab,
            pytest.raises(ServerUnavailableError) as down,
        ):
            regulab.jobs.get("j1")
        assert down.value.status == 503 and len(FlakyServer.seen) == 3
    finally:
        FlakyServer.failures = 2


def test_no_server_is_a_clear_error() -> None:
    with (
        Client("http://127.0.0.1:9", retry=Retry(attempts=2, backoff=0.01)) as regulab,
        pytest.raises(ServerUnavailableError, match="cannot reach the regulab server"),
    ):
        regulab.jobs.get("j1")
