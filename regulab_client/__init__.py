"""regulab's Python client: ``Client`` (and ``AsyncClient``) over the HTTP API, typed with
``api_schemas``. Installs with the bare distribution (pydantic and httpx; nothing of the
server)."""

from regulab_client.aio import AsyncClient
from regulab_client.aio_resources import AsyncJob, AsyncSweep
from regulab_client.client import Client
from regulab_client.errors import (
    AuthenticationError,
    ConflictError,
    GoneError,
    JobFailedError,
    NotFoundError,
    PayloadTooLargeError,
    RegulabError,
    ServerUnavailableError,
    ValidationError,
)
from regulab_client.resources import Job, Sweep
from regulab_client.transport import Retry

__all__ = [
    "AsyncClient",
    "AsyncJob",
    "AsyncSweep",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "GoneError",
    "Job",
    "JobFailedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RegulabError",
    "Retry",
    "ServerUnavailableError",
    "Sweep",
    "ValidationError",
]
