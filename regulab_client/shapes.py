"""What both clients shape alike: the progress callback, the poll interval, request
bodies and parameters, and the failed-job check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from api_schemas import (
    JobRead,
)
from regulab_client.errors import JobFailedError

#: Told each event a waited-for job's stream brings ({"type", "data", …}).
Progress = Callable[[dict[str, Any]], None]
#: How often a wait without an event stream asks for the status.
POLL_SECONDS = 0.5


def failure(read: JobRead) -> None:
    """Raise JobFailedError for a job that failed or was cancelled."""
    if read.status.value in ("failed", "cancelled"):
        reason = f": {read.error.code}: {read.error.message}" if read.error else ""
        raise JobFailedError(f"job {read.id} {read.status.value}{reason}", read)


def prediction_body(rows: list[dict[str, Any]] | None, instances: list[Any] | None) -> Any:
    return {"rows": rows} if rows is not None else {"instances": instances}


def upload_form(
    path: Path, target: str | None, name: str | None, task: str | None
) -> dict[str, str]:
    """An upload's form fields beside its file."""
    form = {"name": name or path.stem}
    if target is not None:
        form["target"] = target
    if task is not None:
        form["task"] = task
    return form


def version_params(version: int | None, alias: str | None) -> dict[str, Any] | None:
    """Which version of a named model: ?version=, ?alias=, or neither (the default)."""
    params: dict[str, Any] = {}
    if version is not None:
        params["version"] = version
    if alias is not None:
        params["alias"] = alias
    return params or None
