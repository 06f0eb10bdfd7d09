"""What a failed call raises: one class per answer a caller handles differently, each
carrying the server's error body."""

from __future__ import annotations

from typing import Any


class RegulabError(Exception):
    """An answer the call could not use; ``status`` is the HTTP status (None when no
    answer came) and ``body`` the server's error body."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status, self.body = status, body


class ValidationError(RegulabError):
    """422: ``fields`` lists each (location, reason), e.g. ("body.regularizers.0.alpha",
    "Input should be greater than 0")."""

    @property
    def fields(self) -> list[tuple[str, str]]:
        detail = self.body.get("detail") if isinstance(self.body, dict) else None
        if not isinstance(detail, list):
            return []
        return [
            (".".join(str(p) for p in item.get("loc", [])), item.get("msg", "")) for item in detail
        ]


class AuthenticationError(RegulabError):
    """401: no API key, or one the server does not know."""


class NotFoundError(RegulabError):
    """404: no such job, dataset, sweep or file (for this caller)."""


class ConflictError(RegulabError):
    """409: the resource is not in a state that allows it (a result before success, a
    delete while running, an Idempotency-Key reused with another body)."""


class GoneError(RegulabError):
    """410: the events asked for were pruned."""


class PayloadTooLargeError(RegulabError):
    """413: the body or upload is over the server's limit."""


class ServerUnavailableError(RegulabError):
    """503 (or a connection that failed) after the retries."""


class JobFailedError(RegulabError):
    """A waited-for job ended failed or cancelled; ``job`` is its last state."""

    def __init__(self, message: str, job: Any) -> None:
        super().__init__(message)
        self.job = job


BY_STATUS: dict[int, type[RegulabError]] = {
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    413: PayloadTooLargeError,
    422: ValidationError,
    503: ServerUnavailableError,
}


def error_for(status: int, body: Any) -> RegulabError:
    """The exception of an error answer, with its message from the body."""
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, list):
        message = "; ".join(
            f"{'.'.join(str(p) for p in item.get('loc', []))}: {item.get('msg', '')}"
            for item in detail
            if isinstance(item, dict)
        )
    else:
        message = str(detail)
    return BY_STATUS.get(status, RegulabError)(f"{status}: {message}", status, body)
