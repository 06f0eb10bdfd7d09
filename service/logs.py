"""Logs of every process: text (the default) or one JSON object a line
(``REGULAB_LOG_FORMAT=json``: time, level, logger, message, and the ``request_id``,
``job_id`` and ``attempt`` of what the line is about).

The ids live in context variables: the API's request middleware sets ``request_id``
(taken from ``X-Request-ID`` or made), the worker sets ``job_id`` and ``attempt`` when it
claims a job and the ``request_id`` its message carries, so a job's worker lines can be
found by the request that submitted it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)
attempt: ContextVar[int | None] = ContextVar("attempt", default=None)
#: The fields a line carries from the context.
CONTEXT: dict[str, ContextVar[Any]] = {
    "request_id": request_id,
    "job_id": job_id,
    "attempt": attempt,
}
#: A caller's X-Request-ID is kept when it looks like an id; anything else is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Libraries whose INFO lines say nothing a user needs (Alembic's plugin set-up and
#: dialect notes; the upgrades themselves stay).
QUIET = {"alembic.runtime.plugins": logging.WARNING}


@contextmanager
def about(
    request: str | None = None, job: str | None = None, try_: int | None = None
) -> Iterator[None]:
    """Log lines within are about this request, job and attempt (None: unchanged)."""
    request_token = request_id.set(request) if request is not None else None
    job_token = job_id.set(job) if job is not None else None
    attempt_token = attempt.set(try_) if try_ is not None else None
    try:
        yield
    finally:
        if attempt_token is not None:
            attempt.reset(attempt_token)
        if job_token is not None:
            job_id.reset(job_token)
        if request_token is not None:
            request_id.reset(request_token)


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID if it is a plain id, else a new one."""
    if header is not None and REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Puts the context's ids on every record (None when unset)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in CONTEXT.items():
            if not hasattr(record, name):
                setattr(record, name, var.get())
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger message``, then ``[job … attempt … request …]`` when known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = [
            f"{name.replace('_id', '')} {value}"
            for name in CONTEXT
            if (value := getattr(record, name, None)) is not None
        ]
        return f"{text} [{', '.join(ids)}]" if ids else text


def configure_logging(level: str, log_format: str) -> None:
    """The root logger's one handler, in the chosen format, at ``level``."""
    # The process's own stderr: Celery's pool processes replace sys.stderr with a proxy
    # that logs what is written to it, and a handler writing there would log in a loop.
    handler = logging.StreamHandler(sys.__stderr__)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # a library's warning is a log line too
    for name, quiet in QUIET.items():
        if logging.getLevelName(level) > logging.DEBUG:
            logging.getLogger(name).setLevel(max(quiet, logging.getLevelName(level)))
