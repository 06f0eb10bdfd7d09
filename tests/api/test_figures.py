"""A job's figures over HTTP, on both backends: listed with their states once the job
succeeds; a download asks a worker to draw the figure and waits for it, or answers 202
with Retry-After; a figure that failed is a 409 that says why."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from service.task_queue import DRAW_FIGURE_TASK
from tests.factories import job_body
from tests.queues import take_messages
from workers.figures.plans import INPUTS_NAME
from workers.runtime.figures import draw_figure
from workers.runtime.job_runner import Outcome, WorkerContext, run_job


def succeeded(client: TestClient, settings: Settings, **changes: Any) -> str:
    job_id: str = client.post("/v1/jobs", json=job_body(**changes)).json()["id"]
    assert run_job(WorkerContext.from_settings(settings), job_id, "w/1") is Outcome.succeeded
    return job_id


def listed(client: TestClient, job_id: str) -> dict[str, dict[str, Any]]:
    result = client.get(f"/v1/jobs/{job_id}/result").json()
    return {a["name"]: a for a in result["artifacts"]}


def figure_messages(settings: Settings) -> list[list[Any]]:
    """The figures queue's messages (job id, name), taken off the queue."""
    taken = take_messages(settings, settings.figure_queue)
    assert {task for task, _ in taken} <= {DRAW_FIGURE_TASK}
    return [args for _, args in taken]


def test_figures_are_listed_available_then_drawn_on_the_figures_queue(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"figure_wait_seconds": 0})
    with TestClient(create_app(settings)) as client:
        job_id = succeeded(client, settings)
        artifacts = listed(client, job_id)
        figure = artifacts["fit_comparison.png"]
        assert (figure["state"], figure["size"], figure["error"]) == ("available", None, None)
        assert artifacts["model.onnx"]["state"] == "ready" and artifacts["model.onnx"]["size"]

        first = client.get(figure["url"])
        assert first.status_code == 202 and first.headers["retry-after"] == "1"
        assert first.json() | {"state": "pending"} == first.json()
        assert first.json()["name"] == "fit_comparison.png"
        again = client.get(figure["url"])  # still pending: no second message
        assert again.status_code == 202
        assert listed(client, job_id)["fit_comparison.png"]["state"] == "pending"
        assert figure_messages(settings) == [[job_id, "fit_comparison.png"]]

        ctx = WorkerContext.from_settings(settings)
        assert draw_figure(ctx.figures, ctx.artifacts, job_id, "fit_comparison.png") == "ready"
        drawn = client.get(figure["url"])
        assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/png"
        assert drawn.content.startswith(b"\x89PNG")
        ready = listed(client, job_id)["fit_comparison.png"]
        assert (ready["state"], ready["size"]) == ("ready", len(drawn.content))


def test_a_download_waits_while_a_worker_draws_the_figure(settings: Settings) -> None:
    settings = settings.model_copy(update={"figure_wait_seconds": 30})
    with TestClient(create_app(settings)) as client:
        job_id = succeeded(client, settings)
        ctx = WorkerContext.from_settings(settings)

        def worker() -> None:  # takes the message off the figures queue, then draws
            for _ in range(600):
                messages = figure_messages(settings)
                if messages:
                    draw_figure(ctx.figures, ctx.artifacts, *messages[0])
                    return
                threading.Event().wait(0.05)

        thread = threading.Thread(target=worker)
        thread.start()
        answer = client.get(f"/v1/jobs/{job_id}/artifacts/coefficients.png")
        thread.join()
        assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")


def test_a_figure_that_failed_is_a_409_saying_why(settings: Settings) -> None:
    settings = settings.model_copy(update={"figure_wait_seconds": 0})
    with TestClient(create_app(settings)) as client:
        job_id = succeeded(client, settings)
        ctx = WorkerContext.from_settings(settings)
        ctx.artifacts.put(f"jobs/{job_id}/attempt-1/{INPUTS_NAME}", b"broken")
        assert client.get(f"/v1/jobs/{job_id}/artifacts/coefficients.png").status_code == 202
        assert draw_figure(ctx.figures, ctx.artifacts, job_id, "coefficients.png") == "failed"

        answer = client.get(f"/v1/jobs/{job_id}/artifacts/coefficients.png")
        assert answer.status_code == 409
        assert "coefficients.png" in answer.json()["detail"]
        assert "unreadable" in answer.json()["detail"]
        failed = listed(client, job_id)["coefficients.png"]
        assert failed["state"] == "failed" and "unreadable" in failed["error"]
        assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "succeeded"


def test_figures_none_lists_no_figures(client: TestClient, settings: Settings) -> None:
    job_id = succeeded(client, settings, figures="none")
    assert not [name for name in listed(client, job_id) if name.endswith(".png")]
    assert client.get(f"/v1/jobs/{job_id}/artifacts/coefficients.png").status_code == 404


def test_a_bad_figures_mode_is_a_422_naming_the_field(client: TestClient) -> None:
    answer = client.post("/v1/jobs", json=job_body(figures="later"))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "figures"]
    assert client.get("/v1/jobs").json()["items"] == []
