"""regulab jobs …: submit, follow and read training jobs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from api_schemas import JobRead, JobResult
from regulab_client.cli.app import State, answers, cli, emit, err, out, pass_state
from regulab_client.cli.render import coefficients_table, job_line, live_bar, metrics_table
from regulab_client.resources import Job


@cli.group()
def jobs() -> None:
    """Submit, follow and read training jobs."""


def spec_from(path: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """A spec file (``-``: stdin), with the short flags laid over it."""
    spec: dict[str, Any] = {}
    if path is not None:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
        spec = json.loads(text)
    if options["dataset"]:
        spec["dataset"] = {"name": options["dataset"]}
    if options["dataset_id"]:
        spec["dataset"] = {"id": options["dataset_id"]}
    if options["model"] or "model" not in spec:
        spec["model"] = {"kind": options["model"] or "linear_regression"}
    regularizers = [*spec.get("regularizers", []), *regularizers_from(options)]
    if regularizers:
        spec["regularizers"] = regularizers
    if options["epochs"] is not None:
        spec["training"] = {**spec.get("training", {}), "epochs": options["epochs"]}
    if options["test_fraction"] is not None:
        spec["split"] = {**spec.get("split", {}), "test_fraction": options["test_fraction"]}
    if options["figures"]:
        spec["figures"] = options["figures"]
    if "dataset" not in spec:
        raise click.UsageError("give a spec file, --dataset or --dataset-id")
    return spec


def regularizers_from(options: dict[str, Any]) -> list[dict[str, Any]]:
    """The regularizers the short flags ask for."""
    regularizers: list[dict[str, Any]] = []
    for kind in ("l1", "l2"):
        if options[kind] is not None:
            regularizers.append({"kind": kind, "alpha": options[kind]})
    if options["elastic_net"] is not None:
        penalty = {"kind": "elastic_net", "alpha": options["elastic_net"]}
        if options["l1_ratio"] is not None:
            penalty["l1_ratio"] = options["l1_ratio"]
        regularizers.append(penalty)
    if options["dropout"] is not None:
        regularizers.append({"kind": "dropout", "rate": options["dropout"]})
    return regularizers


@jobs.command("submit")
@click.argument("spec", required=False)
@click.option("--dataset", help="A built-in dataset by name.")
@click.option("--dataset-id", help="An uploaded dataset by id.")
@click.option("--model", help="The model kind (default linear_regression).")
@click.option("--l1", type=float, help="An L1 penalty of this alpha.")
@click.option("--l2", type=float, help="An L2 penalty of this alpha.")
@click.option("--elastic-net", type=float, help="An elastic-net penalty of this alpha.")
@click.option("--l1-ratio", type=float, help="The elastic net's L1 share.")
@click.option("--dropout", type=float, help="Dropout of this rate (networks).")
@click.option("--epochs", type=int, help="Training epochs (networks).")
@click.option("--test-fraction", type=float, help="Rows held out for test metrics.")
@click.option("--figures", type=click.Choice(["lazy", "eager", "none"]))
@click.option("--wait", is_flag=True, help="Follow the job to its end, then show its result.")
@pass_state
def jobs_submit(state: State, /, spec: str | None, wait: bool, **options: Any) -> None:
    """Submit SPEC (a JSON file, - for stdin) or the job the flags describe."""
    body = spec_from(spec, options)
    with answers(), state.client() as client:
        job = client.jobs.submit(body)
        if not wait:
            emit(state, job.read, lambda: out.print(f"{job.id} {job.read.status.value}"))
            return
        follow_job(state, job)


def follow_job(state: State, job: Job) -> None:
    """Wait with a live bar (stage, epoch k/n and the last loss), then the result."""
    try:
        with live_bar(state, f"job {job.id}") as update:
            job.wait(progress=update)
    except KeyboardInterrupt:
        if sys.stdin.isatty() and click.confirm(f"\ncancel job {job.id}?", default=False):
            job.cancel()
            err.print(f"job {job.id}: cancel requested")
        sys.exit(130)
    show_result(state, job.read, job.result())


def show_result(state: State, read: JobRead, result: JobResult) -> None:
    def render() -> None:
        out.print(f"job {read.id} [bold]{read.status.value}[/bold]: {result.estimator}")
        out.print(metrics_table(result))
        if result.coefficients is not None:
            out.print(coefficients_table(result))
        files = Table("file", "state", "bytes", title="files (regulab jobs artifacts ID -o DIR)")
        for artifact in result.artifacts:
            size = "" if artifact.size is None else str(artifact.size)
            files.add_row(artifact.name, artifact.state, size)
        out.print(files)

    emit(state, result, render)


def one_job(command: Callable[..., None]) -> Callable[..., None]:
    return jobs.command()(click.argument("job_id")(pass_state(command)))


@one_job
def show(state: State, job_id: str) -> None:
    """A job's status, progress and spec."""
    with answers(), state.client() as client:
        read = client.jobs.get(job_id).read
        emit(state, read, lambda: out.print(job_line(read)))


@one_job
def result(state: State, job_id: str) -> None:
    """A succeeded job's metrics and coefficients beside the baseline's."""
    with answers(), state.client() as client:
        job = client.jobs.get(job_id)
        show_result(state, job.read, job.result())


@one_job
def history(state: State, job_id: str) -> None:
    """Every finished step of every attempt."""
    with answers(), state.client() as client:
        rows = client.jobs.get(job_id).history()

        def render() -> None:
            table = Table("attempt", "step", "kind", "data")
            for row in rows.items:
                table.add_row(str(row.attempt), str(row.step), row.kind, json.dumps(row.data))
            out.print(table)

        emit(state, rows, render)


@one_job
def cancel(state: State, job_id: str) -> None:
    """Cancel a queued job now, a running one at its next step."""
    with answers(), state.client() as client:
        read = client.jobs.get(job_id).cancel()
        emit(state, read, lambda: out.print(job_line(read)))


@one_job
def retry(state: State, job_id: str) -> None:
    """A new job with a failed or cancelled one's spec."""
    with answers(), state.client() as client:
        job = client.jobs.get(job_id).retry()
        emit(state, job.read, lambda: out.print(f"{job.id} {job.read.status.value}"))


@one_job
def delete(state: State, job_id: str) -> None:
    """Remove a finished job and its files."""
    with answers(), state.client() as client:
        client.jobs.get(job_id).delete()
        emit(state, {"deleted": job_id}, lambda: out.print(f"{job_id} deleted"))


@one_job
def watch(state: State, job_id: str) -> None:
    """Follow a job to its end with a progress bar, then show its result."""
    with answers(), state.client() as client:
        follow_job(state, client.jobs.get(job_id))


@jobs.command("list")
@click.option(
    "--status", type=click.Choice(["queued", "running", "succeeded", "failed", "cancelled"])
)
@click.option("--limit", type=int, default=20, show_default=True, help="0: every job.")
@pass_state
def jobs_list(state: State, status: str | None, limit: int) -> None:
    """Your jobs, newest first."""
    with answers(), state.client() as client:
        reads = []
        for read in client.jobs.list(status=status, page_size=min(limit or 100, 100)):
            reads.append(read)
            if limit and len(reads) >= limit:
                break

        def render() -> None:
            for read in reads:
                out.print(job_line(read), highlight=False)

        emit(state, [r.model_dump(mode="json") for r in reads], render)


@jobs.command("artifacts")
@click.argument("job_id")
@click.option("-o", "--output", default=".", show_default=True, help="The folder to write to.")
@pass_state
def jobs_artifacts(state: State, job_id: str, output: str) -> None:
    """Download a job's files (figures are drawn first where needed)."""
    with answers(), state.client() as client:
        written = client.jobs.get(job_id).artifacts.download(output)

        def render() -> None:
            for path in written:
                out.print(str(path), highlight=False)

        emit(state, [str(p) for p in written], render)
