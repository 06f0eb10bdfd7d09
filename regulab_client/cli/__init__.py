"""``regulab jobs|datasets|sweeps|comparisons …``: the command line, built on the client.

Click parses (Celery already brings it, and its groups, options and prompts are what a
command line of this shape needs); Rich draws the tables and the live progress, and
leaves colours and bars out when stdout is not a terminal. ``--json`` prints each answer
as the API gives it, for scripts.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

# Each module adds its commands to the group.
from regulab_client.cli import datasets, jobs, sweeps
from regulab_client.cli.app import COMMANDS, GLOBAL_OPTIONS, cli

__all__ = ["COMMANDS", "GLOBAL_OPTIONS", "cli", "datasets", "jobs", "main", "sweeps"]


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
