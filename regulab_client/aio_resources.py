"""What ``AsyncClient`` returns, as ``resources`` for ``Client``, awaited."""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from api_schemas import (
    ArtifactRef,
    DatasetInfo,
    DatasetList,
    DatasetPreview,
    DatasetRead,
    JobCreate,
    JobHistory,
    JobList,
    JobRead,
    JobResult,
)
from api_schemas.comparisons import ComparisonCreate
from api_schemas.predictions import PredictionResponse
from api_schemas.registry import ModelPredictionResponse
from api_schemas.sweeps import SweepCreate
from regulab_client import transport
from regulab_client.errors import RegulabError
from regulab_client.shapes import (
    POLL_SECONDS,
    Progress,
    failure,
    prediction_body,
    upload_form,
    version_params,
)

if TYPE_CHECKING:
    from regulab_client.aio import AsyncClient

ReadT = TypeVar("ReadT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)


async def follow(
    client: AsyncClient,
    url: str,
    timeout: float | None,
    progress: Progress | None,
    status: Callable[[], Awaitable[str]],
) -> None:
    """As ``client.follow``: the subject's event stream until it ends (resumed after each
    close), or polling ``status`` where the server has no stream."""
    deadline = None if timeout is None else time.monotonic() + timeout
    after: str | None = None
    streams = True
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not end within {timeout:g} s")
        if streams:
            try:
                async for event in client.events(f"{url}/events", after):
                    after = str(event["id"])
                    if progress is not None:
                        progress(event)
                    if transport.ends(event["type"]):
                        return
            except RegulabError as exc:
                if exc.status != 404:
                    raise
                streams = False
            except httpx.TransportError:
                await asyncio.sleep(POLL_SECONDS)
        if await status() in transport.TERMINAL:
            return
        if not streams:
            await asyncio.sleep(POLL_SECONDS)


class AsyncJob:
    def __init__(self, client: AsyncClient, read: JobRead) -> None:
        self.client, self.read = client, read
        self.id = read.id
        self.url = f"/v1/jobs/{read.id}"
        self.artifacts = AsyncArtifacts(client, self.url)

    async def refresh(self) -> JobRead:
        self.read = await self.client.get(self.url, JobRead)
        return self.read

    async def wait(
        self, timeout: float | None = None, progress: Progress | None = None, check: bool = True
    ) -> JobRead:
        """As ``Job.wait``."""

        async def status() -> str:
            return (await self.refresh()).status.value

        await follow(self.client, self.url, timeout, progress, status)
        read = await self.refresh()
        if check:
            failure(read)
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

    async def predict(
        self, rows: list[dict[str, Any]] | None = None, instances: list[Any] | None = None
    ) -> PredictionResponse:
        body = prediction_body(rows, instances)
        answer = await self.client.request("POST", f"{self.url}/predictions", json=body)
        return PredictionResponse.model_validate(answer.json())


class AsyncArtifacts:
    def __init__(self, client: AsyncClient, url: str) -> None:
        self.client, self.url = client, url

    async def list(self) -> list[ArtifactRef]:
        return [*(await self.client.get(f"{self.url}/result", JobResult)).artifacts]

    async def download(
        self, folder: str | Path, names: builtins.list[str] | None = None
    ) -> builtins.list[Path]:
        """As ``Artifacts.download``."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for artifact in await self.list():
            if names is None or artifact.name in names:
                path = target / artifact.name
                await fetch(self.client, artifact.url, path)
                written.append(path)
        return written


async def fetch(client: AsyncClient, url: str, path: Path) -> None:
    """One file, streamed to ``path``; a 202 is asked again after its Retry-After."""
    while True:
        async with client.http.stream("GET", url) as response:
            if response.status_code == 202:
                delay = transport.retry_after(response, 1.0)
            else:
                if response.status_code >= 400:
                    await response.aread()
                    transport.checked(response)
                partial = path.with_name(f".{path.name}.partial")
                with partial.open("wb") as handle:
                    async for block in response.aiter_bytes():
                        handle.write(block)
                partial.replace(path)
                return
        await asyncio.sleep(delay)


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


class AsyncDatasets:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def list(self) -> list[DatasetInfo]:
        return [*(await self.client.get("/v1/datasets", DatasetList)).items]

    async def upload(
        self,
        path: str | Path,
        target: str | None = None,
        name: str | None = None,
        task: str | None = None,
    ) -> DatasetRead:
        path = Path(path)
        form = upload_form(path, target, name, task)
        answer = await self.client.request(
            "POST", "/v1/datasets", data=form, files={"file": (path.name, path.read_bytes())}
        )
        return DatasetRead.model_validate(answer.json())

    async def get(self, dataset_id: str) -> DatasetRead:
        return await self.client.get(f"/v1/datasets/{dataset_id}", DatasetRead)

    async def preview(self, dataset_id: str, rows: int = 20) -> DatasetPreview:
        url = f"/v1/datasets/{dataset_id}/preview"
        return await self.client.get(url, DatasetPreview, rows=rows)

    async def delete(self, dataset_id: str) -> None:
        await self.client.request("DELETE", f"/v1/datasets/{dataset_id}")


class AsyncSweep(Generic[ReadT, ResultT]):
    def __init__(self, kind: AsyncSweeps[ReadT, ResultT], read: ReadT) -> None:
        self.kind, self.read = kind, read
        self.id: str = read.id  # type: ignore[attr-defined]
        self.url = f"/v1/{kind.collection}/{self.id}"

    async def refresh(self) -> ReadT:
        self.read = await self.kind.client.get(self.url, self.kind.read_model)
        return self.read

    async def wait(self, timeout: float | None = None, progress: Progress | None = None) -> ReadT:
        async def status() -> str:
            return str((await self.refresh()).status)  # type: ignore[attr-defined]

        await follow(self.kind.client, self.url, timeout, progress, status)
        return await self.refresh()

    async def result(self) -> ResultT:
        return await self.kind.client.get(f"{self.url}/result", self.kind.result_model)

    async def cancel(self) -> ReadT:
        await self.kind.client.request("POST", f"{self.url}/cancel")
        return await self.refresh()

    async def delete(self) -> None:
        await self.kind.client.request("DELETE", self.url)


class AsyncSweeps(Generic[ReadT, ResultT]):
    def __init__(
        self, client: AsyncClient, collection: str, read: type[ReadT], result: type[ResultT]
    ) -> None:
        self.client, self.collection = client, collection
        self.read_model, self.result_model = read, result

    async def submit(
        self, spec: SweepCreate | ComparisonCreate | dict[str, Any]
    ) -> AsyncSweep[ReadT, ResultT]:
        body = transport.body_of(spec)
        answer = await self.client.request("POST", f"/v1/{self.collection}", json=body)
        return await self.get(answer.json()["id"])

    async def get(self, sweep_id: str) -> AsyncSweep[ReadT, ResultT]:
        url = f"/v1/{self.collection}/{sweep_id}"
        return AsyncSweep(self, await self.client.get(url, self.read_model))


class AsyncModels:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def predict(
        self,
        name: str,
        rows: list[dict[str, Any]] | None = None,
        instances: list[Any] | None = None,
        *,
        version: int | None = None,
        alias: str | None = None,
    ) -> ModelPredictionResponse:
        answer = await self.client.request(
            "POST",
            f"/v1/models/{name}/predictions",
            json=prediction_body(rows, instances),
            params=version_params(version, alias),
        )
        return ModelPredictionResponse.model_validate(answer.json())
