"""A job's figures after it succeeded, in this process on both real stores: lazy figures
are listed but not drawn until asked for; eager ones are drawn right after the result;
none are never planned; a figure that fails to draw says why and leaves the job
succeeded; a figure of a deleted job leaves no file."""

from __future__ import annotations

import io

from PIL import Image

from api_schemas import JobStatus
from service.api.auth import ANONYMOUS
from service.artifacts import LocalArtifactStore
from service.config import Settings
from service.jobs.store import JobStore
from service.tables import JobArtifact
from tests.factories import create_job
from workers.figures.plans import INPUTS_NAME
from workers.runtime.figures import draw_figure
from workers.runtime.job_runner import Outcome, WorkerContext, run_job

FIGURES = {"fit_comparison.png", "coefficients.png"}


def succeeded(settings: Settings, **changes: object) -> tuple[WorkerContext, JobStore, str]:
    ctx = WorkerContext.from_settings(settings)
    jobs = JobStore(ctx.attempts.engine)
    job = create_job(jobs, **changes)
    assert run_job(ctx, job.id, "w/1") is Outcome.succeeded
    return ctx, jobs, job.id


def figures(jobs: JobStore, job_id: str) -> dict[str, JobArtifact]:
    job = jobs.get(job_id, with_artifacts=True)
    assert job is not None and job.status == JobStatus.succeeded
    return {a.name: a for a in job.artifacts if a.media_type == "image/png"}


def assert_png(ctx: WorkerContext, artifact: JobArtifact) -> None:
    data = ctx.artifacts.read(artifact.key)
    assert artifact.state == "ready" and artifact.error is None and len(data) == artifact.size
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size[0] > 300


def test_lazy_figures_are_listed_and_drawn_once_asked_for(settings: Settings) -> None:
    ctx, jobs, job_id = succeeded(settings)
    listed = figures(jobs, job_id)
    assert set(listed) == FIGURES
    assert {a.state for a in listed.values()} == {"available"}
    # Not asked for: a stray message draws nothing.
    assert draw_figure(ctx.figures, ctx.artifacts, job_id, "coefficients.png") == "skipped"

    assert ctx.figures.ask(job_id, "coefficients.png") is True
    assert ctx.figures.ask(job_id, "coefficients.png") is False  # one message per request
    assert figures(jobs, job_id)["coefficients.png"].state == "pending"
    assert draw_figure(ctx.figures, ctx.artifacts, job_id, "coefficients.png") == "ready"
    drawn = figures(jobs, job_id)
    assert_png(ctx, drawn["coefficients.png"])
    assert drawn["fit_comparison.png"].state == "available"
    # A second delivery of the same message draws nothing again.
    assert draw_figure(ctx.figures, ctx.artifacts, job_id, "coefficients.png") == "skipped"


def test_eager_figures_are_drawn_after_the_result(settings: Settings) -> None:
    ctx, jobs, job_id = succeeded(settings, figures="eager")
    listed = figures(jobs, job_id)
    assert set(listed) == FIGURES
    for artifact in listed.values():
        assert_png(ctx, artifact)


def test_no_figures_are_planned_for_figures_none(settings: Settings) -> None:
    ctx, jobs, job_id = succeeded(settings, figures="none")
    assert figures(jobs, job_id) == {}
    job = jobs.get(job_id, with_artifacts=True)
    assert job is not None and job.result is not None
    assert {a.name for a in job.artifacts} == {
        "model.onnx",
        "model.skops",
        "baseline.onnx",
        "baseline.skops",
    }
    assert not (ctx.settings.artifacts_root / "jobs" / job_id / "attempt-1" / INPUTS_NAME).exists()


def test_a_figure_that_fails_to_draw_says_why_and_the_job_stays_succeeded(
    settings: Settings,
) -> None:
    ctx, jobs, job_id = succeeded(settings)
    key = figures(jobs, job_id)["fit_comparison.png"].key
    ctx.artifacts.put(key.rsplit("/", 1)[0] + "/" + INPUTS_NAME, b"not an npz file")
    ctx.figures.ask(job_id, "fit_comparison.png")
    assert draw_figure(ctx.figures, ctx.artifacts, job_id, "fit_comparison.png") == "failed"
    failed = figures(jobs, job_id)["fit_comparison.png"]
    assert failed.state == "failed"
    assert failed.error is not None and "figure inputs are unreadable" in failed.error
    job = jobs.get(job_id)
    assert job is not None and job.status == JobStatus.succeeded and job.error_code is None


def test_a_figure_of_a_job_deleted_while_it_is_drawn_leaves_no_file(settings: Settings) -> None:
    ctx, jobs, job_id = succeeded(settings)
    ctx.figures.ask(job_id, "coefficients.png")

    class DeletedJustBeforeThePut(LocalArtifactStore):
        """The API deletes the job (its rows, then its folder) while the figure is drawn."""

        def put(self, key: str, data: bytes) -> None:
            assert jobs.delete(job_id, ANONYMOUS)
            self.delete_prefix(f"jobs/{job_id}")
            super().put(key, data)

    artifacts = DeletedJustBeforeThePut(ctx.settings.artifacts_root)
    assert draw_figure(ctx.figures, artifacts, job_id, "coefficients.png") == "skipped"
    assert list((ctx.settings.artifacts_root / "jobs" / job_id).rglob("*.png")) == []
