"""The synchronous client: ``Client(base_url, api_key)`` and what it returns.

from regulab_client import Client

with Client() as regulab:                     # REGULAB_URL, REGULAB_API_KEY
    job = regulab.jobs.submit({"dataset": {"name": "seed_linear"}, ...})
    job.wait(progress=print)                  # follows the job's event stream
    print(job.result().coefficients)
    job.artifacts.download("out/")
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from api_schemas.comparisons import ComparisonRead, ComparisonResult
from api_schemas.sweeps import SweepRead, SweepResult
from regulab_client import transport
from regulab_client.resources import Datasets, Jobs, Models, Sweeps
from regulab_client.transport import DEFAULT_RETRY, EventLines, Retry

ReadT = TypeVar("ReadT", bound=BaseModel)


class Client:
    """A regulab server. ``base_url`` and ``api_key`` default to ``REGULAB_URL``
    (http://127.0.0.1:8000) and ``REGULAB_API_KEY``; ``http`` is an httpx.Client to use
    instead of one of its own (a test's, a proxy's)."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: Retry = DEFAULT_RETRY,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = transport.base_url(base_url)
        self.retry = retry
        # Redirects: a server with REGULAB_STORAGE_REDIRECT_DOWNLOADS answers a download
        # with a presigned URL (httpx drops the API key when the origin changes).
        self.http = http or httpx.Client(
            base_url=self.base_url, timeout=timeout, follow_redirects=True
        )
        self.http.headers.update(transport.auth_headers(api_key))
        self.jobs = Jobs(self)
        self.datasets = Datasets(self)
        self.sweeps: Sweeps[SweepRead, SweepResult] = Sweeps(self, "sweeps", SweepRead, SweepResult)
        self.comparisons: Sweeps[ComparisonRead, ComparisonResult] = Sweeps(
            self, "comparisons", ComparisonRead, ComparisonResult
        )
        self.models = Models(self)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call, retried with backoff on a failed connection or a 502/503/504 when
        it is idempotent or carries an Idempotency-Key; an error answer raises."""
        headers = dict(kwargs.pop("headers", None) or {})
        delays = self.retry.delays() if transport.may_retry(method, headers) else iter(())
        while True:
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                delay = next(delays, None)
                if delay is None:
                    raise transport.unreachable(exc, self.base_url) from exc
                time.sleep(delay)
                continue
            if transport.retry_worthy(response):
                delay = next(delays, None)
                if delay is not None:
                    time.sleep(transport.retry_after(response, delay))
                    continue
            return transport.checked(response)

    def get(self, path: str, model: type[ReadT], **params: Any) -> ReadT:
        return model.model_validate(self.request("GET", path, params=params or None).json())

    def events(self, path: str, after: str | None = None) -> Iterator[dict[str, Any]]:
        """The subject's event stream from after ``after``, until the server closes it
        (after its terminal event, or REGULAB_EVENT_STREAM_SECONDS)."""
        headers = {"Accept": "text/event-stream", **({"Last-Event-ID": after} if after else {})}
        with self.http.stream(
            "GET", path, headers=headers, timeout=httpx.Timeout(30, read=60)
        ) as response:
            if response.status_code >= 400:
                response.read()
                transport.checked(response)
            lines = EventLines()
            for line in response.iter_lines():
                event = lines.feed(line)
                if event is not None:
                    yield json.loads(event[1])
