"""Sweep operations for the routes: submit, read, result, files, cancel."""

from __future__ import annotations

from collections import Counter
from typing import Any, BinaryIO

from api_schemas import (
    ArtifactRef,
    JobError,
)
from api_schemas.comparisons import ComparisonCreate, ComparisonResult
from api_schemas.sweeps import SweepCreate, SweepList, SweepRead, SweepResult, SweepStatus
from service.artifacts import ArtifactStore
from service.datasets.store import DatasetStore
from service.jobs.policy import Queues, TimeLimits
from service.jobs.service import Publisher, publish_created
from service.jobs.store import JobFinishedError, JobStore
from service.pagination import encode_cursor
from service.sweeps.store import SweepStore
from service.sweeps.validation import check_comparison_spec, check_sweep_spec
from service.tables import Sweep


class SweepNotFoundError(LookupError):
    pass


class SweepStateError(RuntimeError):
    pass


def sweep_url(sweep_id: str) -> str:
    return f"/v1/sweeps/{sweep_id}"


def submit_sweep(
    sweeps: SweepStore,
    jobs: JobStore,
    publish: Publisher,
    spec: SweepCreate | ComparisonCreate,
    *,
    owner: str,
    limits: TimeLimits,
    queues: Queues,
    datasets: DatasetStore,
) -> Sweep:
    """Check, then the sweep (or comparison) and its tasks in one transaction, then a
    message per task."""
    uploaded = datasets.get(spec.base.dataset.id, owner) if spec.base.dataset.id else None
    if isinstance(spec, ComparisonCreate):
        check_comparison_spec(spec, uploaded)
    else:
        check_sweep_spec(spec, uploaded)
    sweep, tasks = sweeps.create(
        spec,
        owner=owner,
        max_seconds=limits.resolve(spec.base),
        queue=queues.for_spec(spec.base),
        dataset=uploaded,
    )
    for job in tasks:
        publish_created(jobs, publish, job)
    return sweep


def _owned(sweeps: SweepStore, sweep_id: str, owner: str, *, with_result: bool = False) -> Sweep:
    sweep = sweeps.get(sweep_id, owner, with_result=with_result)
    if sweep is None:
        raise SweepNotFoundError(sweep_id)
    return sweep


def get_sweep(sweeps: SweepStore, sweep_id: str, owner: str) -> SweepRead:
    sweep = _owned(sweeps, sweep_id, owner)
    return _read(sweep, sweeps.progress([sweep_id])[sweep_id])


def list_sweeps(
    sweeps: SweepStore,
    owner: str,
    *,
    kind: str,
    status: SweepStatus | None,
    cursor: str | None,
    limit: int,
) -> SweepList:
    """The caller's sweeps (or comparisons), newest first, a page at a time."""
    rows = sweeps.page(owner=owner, kind=kind, status=status, cursor=cursor, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit]
    counts = sweeps.progress([row.id for row in rows])
    return SweepList(
        items=[_read(row, counts[row.id]) for row in rows],
        next_cursor=encode_cursor(rows[-1]) if more else None,
    )


def _read(sweep: Sweep, counts: Counter[str]) -> SweepRead:
    error = None
    if sweep.error_code is not None:
        error = JobError(code=sweep.error_code, message=sweep.error_message or "")
    url = comparison_url(sweep.id) if sweep.kind == "comparison" else sweep_url(sweep.id)
    return SweepRead(
        id=sweep.id,
        status=sweep.status,
        spec=sweep.spec,  # validated as the sweep or comparison it is (spec.kind)
        trials_done=counts["succeeded"] + counts["failed"] + counts["cancelled"],
        trials_total=sweep.trials,
        created_at=sweep.created_at,
        finished_at=sweep.finished_at,
        error=error,
        result_url=f"{url}/result" if sweep.status == "succeeded" else None,
    )


def _finished_result(sweep: Sweep, kind: str, url: str) -> tuple[dict[str, Any], list[ArtifactRef]]:
    if sweep.spec.get("kind", "sweep") != kind:
        other = "comparisons" if kind == "sweep" else "sweeps"
        raise SweepStateError(f"{sweep.id} is not a {kind}; see /v1/{other}/{sweep.id}")
    if sweep.status != "succeeded" or sweep.result is None:
        raise SweepStateError(f"{kind} {sweep.id} is {sweep.status}; it has no result yet")
    artifacts = [
        ArtifactRef(
            name=f["name"],
            media_type=f["media_type"],
            url=f"{url}/artifacts/{f['name']}",
            size=f["size"],
        )
        for f in sweep.result.get("files", [])
    ]
    return {k: v for k, v in sweep.result.items() if k != "files"}, artifacts


def get_sweep_result(sweeps: SweepStore, sweep_id: str, owner: str) -> SweepResult:
    body, artifacts = _finished_result(
        _owned(sweeps, sweep_id, owner, with_result=True), "sweep", sweep_url(sweep_id)
    )
    return SweepResult.model_validate({**body, "sweep_id": sweep_id, "artifacts": artifacts})


def comparison_url(comparison_id: str) -> str:
    return f"/v1/comparisons/{comparison_id}"


def get_comparison_result(sweeps: SweepStore, comparison_id: str, owner: str) -> ComparisonResult:
    body, artifacts = _finished_result(
        _owned(sweeps, comparison_id, owner, with_result=True),
        "comparison",
        comparison_url(comparison_id),
    )
    return ComparisonResult.model_validate(
        {**body, "comparison_id": comparison_id, "artifacts": artifacts}
    )


def open_sweep_artifact(
    sweeps: SweepStore, artifacts: ArtifactStore, sweep_id: str, name: str, owner: str
) -> tuple[BinaryIO, str]:
    sweep = _owned(sweeps, sweep_id, owner, with_result=True)
    for entry in (sweep.result or {}).get("files", []):
        if entry["name"] == name:
            return artifacts.open(entry["key"]), entry["media_type"]
    raise SweepNotFoundError(f"{sweep_id}/{name}")


def cancel_sweep(sweeps: SweepStore, jobs: JobStore, sweep_id: str, owner: str) -> SweepRead:
    """Cancel every unfinished trial; the sweep ends cancelled."""
    sweep = _owned(sweeps, sweep_id, owner)
    if sweep.status != "running":
        raise SweepStateError(f"sweep {sweep_id} already {sweep.status}")
    sweeps.finish(sweep_id, "cancelled")
    for job in sweeps.trials(sweep_id, with_results=False):
        try:
            jobs.request_cancel(job.id, owner)
        except JobFinishedError:
            continue
    return get_sweep(sweeps, sweep_id, owner)


def delete_sweep(
    sweeps: SweepStore, artifacts: ArtifactStore, sweep_id: str, owner: str, kind: str
) -> None:
    """Remove a finished sweep (or comparison), its tasks and its figures. One that runs,
    or whose cancelled tasks have not stopped yet, is a 409."""
    sweep = _owned(sweeps, sweep_id, owner)
    if sweep.kind != kind:
        other = "comparisons" if kind == "sweep" else "sweeps"
        raise SweepStateError(f"{sweep_id} is not a {kind}; see /v1/{other}/{sweep_id}")
    counts = sweeps.progress([sweep_id])[sweep_id]
    if sweep.status == "running" or counts["queued"] or counts["running"]:
        raise SweepStateError(
            f"{kind} {sweep_id} is {sweep.status} with {counts['running']} task(s) running; "
            "cancel it, and delete it once its tasks have stopped"
        )
    if sweeps.delete(sweep_id, owner):
        artifacts.delete_prefix(f"sweeps/{sweep_id}")
