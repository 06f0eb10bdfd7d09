"""The command line's group, its global options, and how answers are printed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from pydantic import BaseModel
from rich.console import Console

from regulab_client.client import Client
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
