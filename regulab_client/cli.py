"""``regulab jobs|datasets|sweeps|comparisons …``: the command line, built on the client.

Click parses (Celery already brings it, and its groups, options and prompts are what a
command line of this shape needs); Rich draws the tables and the live progress, and
leaves colours and bars out when stdout is not a terminal. ``--json`` prints each answer
as the API gives it, for scripts.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api_schemas import JobRead, JobResult
from regulab_client.client import Client, Job, Sweep
from regulab_client.errors import JobFailedError, RegulabError

#: The first word of a command line this module answers (``service.cli`` passes them on).
COMMANDS = frozenset({"jobs", "datasets", "sweeps", "comparisons"})
#: Options before the command word that take a value.
GLOBAL_OPTIONS = frozenset({"--url", "--api-key"})
#: Coefficients a table shows before it says how many more there are.
SHOWN_COEFFICIENTS = 30

out = Console()
err = Console(stderr=True)


class State:
    def __init__(self, url: str | None, api_key: str | None, as_json: bool) -> None:
        self.url, self.api_key, self.as_json = url, api_key, as_json

    def client(self) -> Client:
        return Client(self.url, self.api_key)


pass_state = click.make_pass_decorator(State)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url", envvar="REGULAB_URL", help="The server (REGULAB_URL; default http://127.0.0.1:8000)."
)
@click.option("--api-key", envvar="REGULAB_API_KEY", help="An API key (REGULAB_API_KEY).")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answers.")
@click.pass_context
def cli(ctx: click.Context, url: str | None, api_key: str | None, as_json: bool) -> None:
    """regulab's client commands (the server's are up, api, worker and migrate)."""
    ctx.obj = State(url, api_key, as_json)


def emit(state: State, value: Any, render: Callable[[], None] | None = None) -> None:
    """``value`` as JSON with --json (or when there is nothing else to show), else
    ``render``."""
    if state.as_json or render is None:
        data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        click.echo(json.dumps(data, indent=2))
    else:
        render()


@contextmanager
def answers() -> Iterator[None]:
    """An error answer or a failed job ends the command with its message and status 1."""
    try:
        yield
    except JobFailedError as exc:
        err.print(f"[red]{exc}[/red]")
        sys.exit(1)
    except RegulabError as exc:
        err.print(f"[red]error[/red] {exc}")
        sys.exit(1)


# -- jobs ---------------------------------------------------------------------------


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


@contextmanager
def live_bar(state: State, title: str) -> Iterator[Callable[[dict[str, Any]], None]]:
    """A progress bar fed by a stream's events; nothing drawn off a terminal or with
    --json."""
    quiet = state.as_json or not out.is_terminal
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=out,
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task(title, total=None, detail="queued")

        def update(event: dict[str, Any]) -> None:
            kind, data = event["type"].rpartition(".")[2], event.get("data", {})
            if kind == "progress":
                bar.update(task, completed=data.get("step", 0), total=data.get("total"),
                           detail=data.get("stage", ""))  # fmt: skip
            elif kind in ("epoch", "baseline_epoch"):
                loss = data.get("train_loss")
                shown = f"{kind.replace('_', ' ')} {data.get('epoch')}"
                bar.update(task, detail=shown + (f" loss {loss:.4f}" if loss is not None else ""))
            elif kind == "task_finished":
                bar.update(task, advance=1, total=data.get("trials_total"), detail="fold done")
            elif kind == "running":
                bar.update(task, detail="running")
            else:
                bar.update(task, detail=kind)

        yield update


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


def metrics_table(result: JobResult) -> Table:
    """Each metric on train and test, the model's beside the baseline's."""
    table = Table("metric", title="metrics")
    fits = [("regularized", result.metrics)]
    if result.baseline is not None:
        fits.append(("baseline", result.baseline.metrics))
    columns = [(name, split) for name, _ in fits for split in ("train", "test")]
    for name, split in columns:
        table.add_column(f"{name} {split}", justify="right")
    values: dict[str, list[str]] = {}
    for index, (_, metrics) in enumerate(fits):
        for split in ("train", "test"):
            scores = getattr(metrics, split)
            for key, value in (scores.model_dump() if scores is not None else {}).items():
                row = values.setdefault(key, ["—"] * len(columns))
                row[index * 2 + (split == "test")] = "—" if value is None else f"{value:.4f}"
    for key, row in values.items():
        table.add_row(key, *row)
    return table


def coefficients_table(result: JobResult) -> Table:
    """Each feature's coefficient beside the baseline's; exact zeros marked."""
    coefficients = result.coefficients
    assert coefficients is not None
    baseline = result.baseline.coefficients if result.baseline is not None else None
    table = Table(
        "feature", "regularized", title=f"coefficients ({coefficients.n_nonzero} non-zero)"
    )
    if baseline is not None:
        table.add_column("baseline", justify="right")
    names = coefficients.feature_names
    coef = (
        coefficients.coef if isinstance(coefficients.coef[0], float | int) else coefficients.coef[0]
    )
    base = None
    if baseline is not None:
        base = baseline.coef if isinstance(baseline.coef[0], float | int) else baseline.coef[0]
    for i, name in enumerate(names[:SHOWN_COEFFICIENTS]):
        value = float(coef[i])
        shown = "[dim]0 (zeroed)[/dim]" if value == 0 else f"{value:.4f}"
        row = [name, shown]
        if base is not None:
            row.append(f"{float(base[i]):.4f}")
        table.add_row(*row)
    if len(names) > SHOWN_COEFFICIENTS:
        table.caption = f"… and {len(names) - SHOWN_COEFFICIENTS} more (--json for all)"
    return table


def one_job(command: Callable[..., None]) -> Callable[..., None]:
    return jobs.command()(click.argument("job_id")(pass_state(command)))


@one_job
def show(state: State, job_id: str) -> None:
    """A job's status, progress and spec."""
    with answers(), state.client() as client:
        read = client.jobs.get(job_id).read
        emit(state, read, lambda: out.print(job_line(read)))


def job_line(read: JobRead) -> str:
    progress = (
        f" {read.progress.stage} {read.progress.step}/{read.progress.total}"
        if read.progress
        else ""
    )
    error = f" {read.error.code}: {read.error.message}" if read.error else ""
    return (
        f"{read.id}  {read.status.value:<9}{progress}{error}  {read.created_at:%Y-%m-%d %H:%M:%S}"
    )


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


# -- datasets -----------------------------------------------------------------------


@cli.group()
def datasets() -> None:
    """Upload and read datasets."""


@datasets.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--target", help="The column to predict (none: a table to score).")
@click.option("--name", help="Its name (default: the file's).")
@click.option("--task", type=click.Choice(["regression", "classification"]))
@pass_state
def datasets_upload(
    state: State, file: str, target: str | None, name: str | None, task: str | None
) -> None:
    """Upload a CSV or Parquet FILE."""
    with answers(), state.client() as client:
        read = client.datasets.upload(file, target=target, name=name, task=task)
        emit(
            state,
            read,
            lambda: out.print(
                f"{read.id} {read.name}: {read.rows} rows, target {read.target}, {read.task}"
            ),
        )


@datasets.command("list")
@pass_state
def datasets_list(state: State) -> None:
    """Built-in datasets and your uploads."""
    with answers(), state.client() as client:
        items = client.datasets.list()

        def render() -> None:
            table = Table("name", "id", "source", "task", "rows", "features")
            for d in items:
                table.add_row(
                    d.name, d.id or "", d.source, d.task or "", str(d.rows), str(d.features)
                )
            out.print(table)

        emit(state, [d.model_dump(mode="json") for d in items], render)


@datasets.command("show")
@click.argument("dataset_id")
@pass_state
def datasets_show(state: State, dataset_id: str) -> None:
    """An upload's columns and their summaries."""
    with answers(), state.client() as client:
        read = client.datasets.get(dataset_id)

        def render() -> None:
            out.print(f"{read.id} {read.name}: {read.rows} rows, target {read.target}, {read.task}")
            table = Table("column", "type", "missing", "mean", "min", "max")
            for c in read.columns:
                table.add_row(
                    c.name, c.type, str(c.missing), *(fmt(v) for v in (c.mean, c.min, c.max))
                )
            out.print(table)

        emit(state, read, render)


def fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


@datasets.command("preview")
@click.argument("dataset_id")
@click.option("--rows", type=int, default=10, show_default=True)
@pass_state
def datasets_preview(state: State, dataset_id: str, rows: int) -> None:
    """An upload's first rows."""
    with answers(), state.client() as client:
        preview = client.datasets.preview(dataset_id, rows=rows)

        def render() -> None:
            table = Table(*preview.columns)
            for row in preview.rows:
                table.add_row(*("" if v is None else str(v) for v in row))
            out.print(table)

        emit(state, preview, render)


@datasets.command("delete")
@click.argument("dataset_id")
@pass_state
def datasets_delete(state: State, dataset_id: str) -> None:
    """Remove an upload (409 while a job uses it)."""
    with answers(), state.client() as client:
        client.datasets.delete(dataset_id)
        emit(state, {"deleted": dataset_id}, lambda: out.print(f"{dataset_id} deleted"))


# -- sweeps and comparisons -----------------------------------------------------------


def sweep_commands(collection: str, noun: str) -> click.Group:
    """submit, show, result, cancel and delete for /v1/<collection>."""

    @click.group(collection, help=f"Run and read {collection}.")
    def group() -> None:
        pass

    def kind(client: Client) -> Any:
        return getattr(client, collection)

    @group.command("submit")
    @click.argument("spec")
    @click.option(
        "--wait", is_flag=True, help=f"Follow the {noun} to its end, then show its result."
    )
    @pass_state
    def submit(state: State, spec: str, wait: bool) -> None:
        """Submit SPEC (a JSON file, - for stdin)."""
        body = json.loads(sys.stdin.read() if spec == "-" else Path(spec).read_text())
        with answers(), state.client() as client:
            sweep: Sweep[Any, Any] = kind(client).submit(body)
            if not wait:
                emit(state, sweep.read, lambda: out.print(f"{sweep.id} {sweep.read.status}"))
                return
            with live_bar(state, f"{noun} {sweep.id}") as update:
                read = sweep.wait(progress=update)
            if read.status != "succeeded":
                err.print(f"[red]{noun} {sweep.id} {read.status}[/red] {read.error or ''}")
                sys.exit(1)
            emit(state, sweep.result(), None)

    @group.command("show")
    @click.argument("sweep_id")
    @pass_state
    def show(state: State, sweep_id: str) -> None:
        """Its status and progress."""
        with answers(), state.client() as client:
            read = kind(client).get(sweep_id).read
            emit(
                state,
                read,
                lambda: out.print(
                    f"{read.id} {read.status} {read.trials_done}/{read.trials_total}"
                ),
            )

    @group.command("result")
    @click.argument("sweep_id")
    @pass_state
    def result(state: State, sweep_id: str) -> None:
        """Its result (JSON)."""
        with answers(), state.client() as client:
            emit(state, kind(client).get(sweep_id).result(), None)

    @group.command("cancel")
    @click.argument("sweep_id")
    @pass_state
    def cancel(state: State, sweep_id: str) -> None:
        """Stop its tasks."""
        with answers(), state.client() as client:
            read = kind(client).get(sweep_id).cancel()
            emit(state, read, lambda: out.print(f"{read.id} {read.status}"))

    @group.command("delete")
    @click.argument("sweep_id")
    @pass_state
    def delete(state: State, sweep_id: str) -> None:
        """Remove a finished one with its tasks and figures."""
        with answers(), state.client() as client:
            kind(client).get(sweep_id).delete()
            emit(state, {"deleted": sweep_id}, lambda: out.print(f"{sweep_id} deleted"))

    return group


cli.add_command(sweep_commands("sweeps", "sweep"))
cli.add_command(sweep_commands("comparisons", "comparison"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run a client command line; its exit status."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="regulab",
            standalone_mode=False,
        )
    except click.exceptions.Abort:
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
