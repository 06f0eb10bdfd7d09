"""What the command line draws: the live progress bar and the result's tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api_schemas import JobRead, JobResult
from regulab_client.cli.app import State, out

#: Coefficients a table shows before it says how many more there are.
SHOWN_COEFFICIENTS = 30


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


def fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"
