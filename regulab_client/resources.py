"""What ``Client`` returns: jobs, their files, datasets, sweeps and comparisons, named
models; each a thin view over its /v1 resource."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterator
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
    from regulab_client.client import Client


ReadT = TypeVar("ReadT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)


class Job:
    """A job on the server, by id; ``read`` is its state when last asked."""

    def __init__(self, client: Client, read: JobRead) -> None:
        self.client, self.read = client, read
        self.id = read.id
        self.artifacts = Artifacts(client, f"/v1/jobs/{read.id}")

    def __repr__(self) -> str:
        return f"Job({self.id!r}, status={self.read.status.value!r})"

    @property
    def url(self) -> str:
        return f"/v1/jobs/{self.id}"

    def refresh(self) -> JobRead:
        self.read = self.client.get(self.url, JobRead)
        return self.read

    def wait(
        self, timeout: float | None = None, progress: Progress | None = None, check: bool = True
    ) -> JobRead:
        """Until the job ends: following its event stream (``progress`` hears each
        event), polling where the server has none. With ``check``, a failed or
        cancelled job raises JobFailedError."""
        follow(self.client, self.url, timeout, progress, self.refresh_status)
        read = self.refresh()
        if check:
            failure(read)
        return read

    def refresh_status(self) -> str:
        return self.refresh().status.value

    def result(self) -> JobResult:
        return self.client.get(f"{self.url}/result", JobResult)

    def history(self) -> JobHistory:
        return self.client.get(f"{self.url}/history", JobHistory)

    def cancel(self) -> JobRead:
        self.read = JobRead.model_validate(self.client.request("POST", f"{self.url}/cancel").json())
        return self.read

    def retry(self) -> Job:
        accepted = self.client.request("POST", f"{self.url}/retry").json()
        return self.client.jobs.get(accepted["id"])

    def delete(self) -> None:
        self.client.request("DELETE", self.url)

    def predict(
        self, rows: list[dict[str, Any]] | None = None, instances: list[Any] | None = None
    ) -> PredictionResponse:
        body = prediction_body(rows, instances)
        answer = self.client.request("POST", f"{self.url}/predictions", json=body)
        return PredictionResponse.model_validate(answer.json())


def follow(
    client: Client,
    url: str,
    timeout: float | None,
    progress: Progress | None,
    status: Callable[[], str],
) -> None:
    """Until the subject at ``url`` ends, by its event stream (resumed after each close
    from the last event seen), or by polling ``status`` if the server has no stream."""
    deadline = None if timeout is None else time.monotonic() + timeout
    after: str | None = None
    streams = True
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not end within {timeout:g} s")
        if streams:
            try:
                for event in client.events(f"{url}/events", after):
                    after = str(event["id"])
                    if progress is not None:
                        progress(event)
                    if transport.ends(event["type"]):
                        return
                    if deadline is not None and time.monotonic() > deadline:
                        break
            except RegulabError as exc:
                if exc.status != 404:
                    raise
                streams = False  # a server without streams: poll
            except httpx.TransportError:
                time.sleep(POLL_SECONDS)
        if status() in transport.TERMINAL:
            return
        if not streams:
            time.sleep(POLL_SECONDS)


class Artifacts:
    def __init__(self, client: Client, url: str) -> None:
        self.client, self.url = client, url

    def list(self) -> list[ArtifactRef]:
        return [*self.client.get(f"{self.url}/result", JobResult).artifacts]

    def download(
        self, folder: str | Path, names: builtins.list[str] | None = None
    ) -> builtins.list[Path]:
        """Each file (or each of ``names``) into ``folder``; a figure not drawn yet is
        drawn first (asked again while the server answers 202)."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for artifact in self.list():
            if names is not None and artifact.name not in names:
                continue
            path = target / artifact.name
            fetch(self.client, artifact.url, path)
            written.append(path)
        return written


def fetch(client: Client, url: str, path: Path) -> None:
    """One file, streamed to ``path``; a 202 (a figure being drawn) is asked again after
    its Retry-After."""
    while True:
        with client.http.stream("GET", url) as response:
            if response.status_code == 202:
                delay = transport.retry_after(response, 1.0)
            else:
                if response.status_code >= 400:
                    response.read()
                    transport.checked(response)
                partial = path.with_name(f".{path.name}.partial")
                with partial.open("wb") as handle:
                    for block in response.iter_bytes():
                        handle.write(block)
                partial.replace(path)
                return
        time.sleep(delay)


class Jobs:
    def __init__(self, client: Client) -> None:
        self.client = client

    def submit(self, spec: JobCreate | dict[str, Any], idempotency_key: str | None = None) -> Job:
        """POST the spec; an Idempotency-Key (a new one unless given) makes a retried
        submit return the first job rather than make a second."""
        key = idempotency_key or transport.new_idempotency_key()
        answer = self.client.request(
            "POST",
            "/v1/jobs",
            json=transport.body_of(spec),
            headers={transport.IDEMPOTENCY_KEY: key},
        )
        return self.get(answer.json()["id"])

    def get(self, job_id: str) -> Job:
        return Job(self.client, self.client.get(f"/v1/jobs/{job_id}", JobRead))

    def list(self, status: str | None = None, page_size: int = 100) -> Iterator[JobRead]:
        """Every job of the caller's, newest first, page after page."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if status is not None:
                params["status"] = status
            if cursor:
                params["cursor"] = cursor
            page = self.client.get("/v1/jobs", JobList, **params)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor


class Datasets:
    def __init__(self, client: Client) -> None:
        self.client = client

    def list(self) -> list[DatasetInfo]:
        return [*self.client.get("/v1/datasets", DatasetList).items]

    def upload(
        self,
        path: str | Path,
        target: str | None = None,
        name: str | None = None,
        task: str | None = None,
    ) -> DatasetRead:
        """A CSV or Parquet file (told by its extension); ``target`` the column to
        predict (none: a table to score)."""
        path = Path(path)
        form = upload_form(path, target, name, task)
        with path.open("rb") as handle:
            answer = self.client.request(
                "POST", "/v1/datasets", data=form, files={"file": (path.name, handle)}
            )
        return DatasetRead.model_validate(answer.json())

    def get(self, dataset_id: str) -> DatasetRead:
        return self.client.get(f"/v1/datasets/{dataset_id}", DatasetRead)

    def preview(self, dataset_id: str, rows: int = 20) -> DatasetPreview:
        return self.client.get(f"/v1/datasets/{dataset_id}/preview", DatasetPreview, rows=rows)

    def delete(self, dataset_id: str) -> None:
        self.client.request("DELETE", f"/v1/datasets/{dataset_id}")


class Sweep(Generic[ReadT, ResultT]):
    """A sweep or a comparison on the server, by id."""

    def __init__(self, kind: Sweeps[ReadT, ResultT], read: ReadT) -> None:
        self.kind, self.read = kind, read
        self.id: str = read.id  # type: ignore[attr-defined]
        self.url = f"/v1/{kind.collection}/{self.id}"

    def refresh(self) -> ReadT:
        self.read = self.kind.client.get(self.url, self.kind.read_model)
        return self.read

    def wait(self, timeout: float | None = None, progress: Progress | None = None) -> ReadT:
        follow(self.kind.client, self.url, timeout, progress, lambda: str(self.refresh().status))  # type: ignore[attr-defined]
        return self.refresh()

    def result(self) -> ResultT:
        return self.kind.client.get(f"{self.url}/result", self.kind.result_model)

    def cancel(self) -> ReadT:
        self.kind.client.request("POST", f"{self.url}/cancel")
        return self.refresh()

    def delete(self) -> None:
        self.kind.client.request("DELETE", self.url)


class Sweeps(Generic[ReadT, ResultT]):
    """``/v1/sweeps`` or ``/v1/comparisons``."""

    def __init__(
        self, client: Client, collection: str, read: type[ReadT], result: type[ResultT]
    ) -> None:
        self.client, self.collection = client, collection
        self.read_model, self.result_model = read, result

    def submit(
        self, spec: SweepCreate | ComparisonCreate | dict[str, Any]
    ) -> Sweep[ReadT, ResultT]:
        answer = self.client.request("POST", f"/v1/{self.collection}", json=transport.body_of(spec))
        return self.get(answer.json()["id"])

    def get(self, sweep_id: str) -> Sweep[ReadT, ResultT]:
        return Sweep(self, self.client.get(f"/v1/{self.collection}/{sweep_id}", self.read_model))


class Models:
    """Named models (``/v1/models``)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def predict(
        self,
        name: str,
        rows: list[dict[str, Any]] | None = None,
        instances: list[Any] | None = None,
        *,
        version: int | None = None,
        alias: str | None = None,
    ) -> ModelPredictionResponse:
        """Predict with a version (``version``, ``alias``, or the production alias, else
        the latest)."""
        answer = self.client.request(
            "POST",
            f"/v1/models/{name}/predictions",
            json=prediction_body(rows, instances),
            params=version_params(version, alias),
        )
        return ModelPredictionResponse.model_validate(answer.json())
