"""What both clients share: where the server is, the key, which calls are retried and
how, and how an answer becomes a value or an exception."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel

from regulab_client.errors import RegulabError, ServerUnavailableError, error_for

DEFAULT_URL = "http://127.0.0.1:8000"
#: Methods that may be sent again: they do the same thing however often they arrive.
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: Answers worth another try: the server or a proxy in front of it is not ready.
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENCY_KEY = "Idempotency-Key"
#: The stream's events that end a job, a scoring, a sweep or a comparison.
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class Retry:
    """``attempts`` tries in all, ``backoff`` seconds before the second, doubling."""

    attempts: int = 4
    backoff: float = 0.25

    def delays(self) -> Iterator[float]:
        for n in range(self.attempts - 1):
            yield self.backoff * 2**n


DEFAULT_RETRY = Retry()


def base_url(url: str | None) -> str:
    return (url or os.environ.get("REGULAB_URL") or DEFAULT_URL).rstrip("/")


def auth_headers(api_key: str | None) -> dict[str, str]:
    key = api_key if api_key is not None else os.environ.get("REGULAB_API_KEY")
    return {"Authorization": f"Bearer {key}"} if key else {}


def may_retry(method: str, headers: dict[str, str]) -> bool:
    """An idempotent call, or a POST the server deduplicates by its Idempotency-Key."""
    return method in IDEMPOTENT or IDEMPOTENCY_KEY in headers


def retry_worthy(response: httpx.Response | None) -> bool:
    """No answer (the connection failed) or an answer that says try again."""
    return response is None or response.status_code in RETRY_STATUSES


def retry_after(response: httpx.Response, default: float) -> float:
    """The answer's Retry-After in seconds (at most 30), else ``default``."""
    try:
        return min(float(response.headers.get("retry-after", default)), 30.0)
    except ValueError:
        return default


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def body_of(spec: BaseModel | dict[str, Any]) -> Any:
    """A spec given as a pydantic model or a dict, as JSON."""
    if isinstance(spec, BaseModel):
        return spec.model_dump(mode="json", exclude_unset=True)
    return spec


def checked(response: httpx.Response) -> httpx.Response:
    """The response, or the exception its error status stands for."""
    if response.status_code >= 400:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        raise error_for(response.status_code, body)
    return response


def unreachable(exc: httpx.TransportError, url: str) -> RegulabError:
    return ServerUnavailableError(f"cannot reach the regulab server at {url}: {exc}")


@dataclass
class EventLines:
    """Server-sent events, parsed from a stream's lines (the fields regulab sends:
    ``id``, ``event``, ``data``; comment lines are keep-alives)."""

    last_id: str | None = None
    _event: str | None = None
    _data: list[str] | None = None

    def feed(self, line: str) -> tuple[str, str] | None:
        """One line; an event (type, data) when the line ends one."""
        if line == "":
            if self._data is None:
                return None
            event = (self._event or "message", "\n".join(self._data))
            self._event, self._data = None, None
            return event
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            self.last_id = value
        elif field == "event":
            self._event = value
        elif field == "data":
            self._data = [*(self._data or []), value]
        return None


def ends(event_type: str) -> bool:
    """A stream's event that ends its subject (job.succeeded, sweep.failed, …)."""
    return event_type.rpartition(".")[2] in TERMINAL
