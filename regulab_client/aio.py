"""The asynchronous client, for event loops: ``AsyncClient`` does what ``Client`` does
(jobs, datasets, sweeps, comparisons, named models), awaited, on httpx's AsyncClient.

    async with AsyncClient() as regulab:
        job = await regulab.jobs.submit(spec)
        await job.wait()
        result = await job.result()
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from api_schemas.comparisons import ComparisonRead, ComparisonResult
from api_schemas.sweeps import SweepRead, SweepResult
from regulab_client import transport
from regulab_client.aio_resources import AsyncDatasets, AsyncJobs, AsyncModels, AsyncSweeps
from regulab_client.transport import DEFAULT_RETRY, EventLines, Retry

ReadT = TypeVar("ReadT", bound=BaseModel)


class AsyncClient:
    """As ``Client``: ``base_url`` and ``api_key`` default to ``REGULAB_URL`` and
    ``REGULAB_API_KEY``; ``http`` is an httpx.AsyncClient to use instead of its own."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: Retry = DEFAULT_RETRY,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = transport.base_url(base_url)
        self.retry = retry
        # Redirects: a server with REGULAB_STORAGE_REDIRECT_DOWNLOADS answers a download
        # with a presigned URL (httpx drops the API key when the origin changes).
        self.http = http or httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, follow_redirects=True
        )
        self.http.headers.update(transport.auth_headers(api_key))
        self.jobs = AsyncJobs(self)
        self.datasets = AsyncDatasets(self)
        self.sweeps: AsyncSweeps[SweepRead, SweepResult] = AsyncSweeps(
            self, "sweeps", SweepRead, SweepResult
        )
        self.comparisons: AsyncSweeps[ComparisonRead, ComparisonResult] = AsyncSweeps(
            self, "comparisons", ComparisonRead, ComparisonResult
        )
        self.models = AsyncModels(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """As ``Client.request``: retried with backoff when that is safe."""
        headers = dict(kwargs.pop("headers", None) or {})
        delays = self.retry.delays() if transport.may_retry(method, headers) else iter(())
        while True:
            try:
                response = await self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                delay = next(delays, None)
                if delay is None:
                    raise transport.unreachable(exc, self.base_url) from exc
                await asyncio.sleep(delay)
                continue
            if transport.retry_worthy(response):
                delay = next(delays, None)
                if delay is not None:
                    await asyncio.sleep(transport.retry_after(response, delay))
                    continue
            return transport.checked(response)

    async def get(self, path: str, model: type[ReadT], **params: Any) -> ReadT:
        answer = await self.request("GET", path, params=params or None)
        return model.model_validate(answer.json())

    async def events(self, path: str, after: str | None = None) -> AsyncIterator[dict[str, Any]]:
        headers = {"Accept": "text/event-stream", **({"Last-Event-ID": after} if after else {})}
        timeout = httpx.Timeout(30, read=60)
        async with self.http.stream("GET", path, headers=headers, timeout=timeout) as response:
            if response.status_code >= 400:
                await response.aread()
                transport.checked(response)
            lines = EventLines()
            async for line in response.aiter_lines():
                event = lines.feed(line)
                if event is not None:
                    yield json.loads(event[1])
