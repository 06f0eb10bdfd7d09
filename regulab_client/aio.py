"""The asynchronous client, for event loops: ``AsyncClient`` submits, follows and reads
jobs as ``Client`` does, on httpx's AsyncClient.

    async with AsyncClient() as regulab:
        job = await regulab.jobs.submit(spec)
        await job.wait()
        result = await job.result()
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from api_schemas import JobCreate, JobHistory, JobList, JobRead, JobResult
from regulab_client import transport
from regulab_client.client import POLL_SECONDS, Progress
from regulab_client.errors import JobFailedError, RegulabError
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
        self.http = http or httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
        self.http.headers.update(transport.auth_headers(api_key))
        self.jobs = AsyncJobs(self)

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


class AsyncJob:
    def __init__(self, client: AsyncClient, read: JobRead) -> None:
        self.client, self.read = client, read
        self.id = read.id
        self.url = f"/v1/jobs/{read.id}"

    async def refresh(self) -> JobRead:
        self.read = await self.client.get(self.url, JobRead)
        return self.read

    async def wait(
        self, timeout: float | None = None, progress: Progress | None = None, check: bool = True
    ) -> JobRead:
        """As ``Job.wait``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        after: str | None = None
        streams = True
        while True:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {self.id} did not end within {timeout:g} s")
            if streams:
                try:
                    async for event in self.client.events(f"{self.url}/events", after):
                        after = str(event["id"])
                        if progress is not None:
                            progress(event)
                        if transport.ends(event["type"]):
                            break
                except RegulabError as exc:
                    if exc.status != 404:
                        raise
                    streams = False
                except httpx.TransportError:
                    await asyncio.sleep(POLL_SECONDS)
            read = await self.refresh()
            if read.status.value in transport.TERMINAL:
                break
            if not streams:
                await asyncio.sleep(POLL_SECONDS)
        if check and read.status.value in ("failed", "cancelled"):
            reason = f": {read.error.code}: {read.error.message}" if read.error else ""
            raise JobFailedError(f"job {self.id} {read.status.value}{reason}", read)
        return read

    async def result(self) -> JobResult:
        return await self.client.get(f"{self.url}/result", JobResult)

    async def history(self) -> JobHistory:
        return await self.client.get(f"{self.url}/history", JobHistory)

    async def cancel(self) -> JobRead:
        answer = await self.client.request("POST", f"{self.url}/cancel")
        self.read = JobRead.model_validate(answer.json())
        return self.read

    async def retry(self) -> AsyncJob:
        accepted = (await self.client.request("POST", f"{self.url}/retry")).json()
        return await self.client.jobs.get(accepted["id"])

    async def delete(self) -> None:
        await self.client.request("DELETE", self.url)


class AsyncJobs:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def submit(
        self, spec: JobCreate | dict[str, Any], idempotency_key: str | None = None
    ) -> AsyncJob:
        key = idempotency_key or transport.new_idempotency_key()
        answer = await self.client.request(
            "POST",
            "/v1/jobs",
            json=transport.body_of(spec),
            headers={transport.IDEMPOTENCY_KEY: key},
        )
        return await self.get(answer.json()["id"])

    async def get(self, job_id: str) -> AsyncJob:
        return AsyncJob(self.client, await self.client.get(f"/v1/jobs/{job_id}", JobRead))

    async def list(self, status: str | None = None, page_size: int = 100) -> AsyncIterator[JobRead]:
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if status is not None:
                params["status"] = status
            if cursor:
                params["cursor"] = cursor
            page = await self.client.get("/v1/jobs", JobList, **params)
            for item in page.items:
                yield item
            if not page.next_cursor:
                return
            cursor = page.next_cursor
