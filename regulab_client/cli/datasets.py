"""regulab datasets …: upload and read datasets."""

from __future__ import annotations

import click
from rich.table import Table

from regulab_client.cli.app import State, answers, cli, emit, out, pass_state
from regulab_client.cli.render import fmt


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
