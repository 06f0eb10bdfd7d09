"""regulab sweeps … and regulab comparisons …: run and read them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from regulab_client.cli.app import State, answers, cli, emit, err, out, pass_state
from regulab_client.cli.render import live_bar
from regulab_client.client import Client
from regulab_client.resources import Sweep


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
