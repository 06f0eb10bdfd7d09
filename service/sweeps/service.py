"""SweepService: the operations the routes call on sweeps and comparisons, one method a
route; each takes the kind (``service.sweeps.kinds``) its URL names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from api_schemas import ArtifactRef, JobError
from api_schemas.sweep_status import SweepStatus
from service.artifacts import ArtifactStore, StoredFile
from service.jobs.service import JobService
from service.jobs.store import JobFinishedError
from service.pagination import page_of
from service.sweeps.kinds import AcceptedT, CreateT, PageT, ReadT, ResultT, SweepKind
from service.sweeps.store import SweepStore
from service.tables import Sweep


class SweepNotFoundError(LookupError):
    pass


class SweepStateError(RuntimeError):
    pass


#: Any kind: for the methods whose answer does not depend on it. The others name, of
#: their kind's types, those their answer is: ``SweepKind[Any, ReadT, Any, Any, Any]``.
AnyKind = SweepKind[Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class SweepService:
    """Built once per API process: the sweeps' rows, the job service that places and
    publishes their trials, and the store their figures are in."""

    store: SweepStore
    jobs: JobService
    artifacts: ArtifactStore

    def submit(
        self,
        kind: SweepKind[CreateT, Any, Any, AcceptedT, Any],
        spec: CreateT,
        owner: str,
    ) -> AcceptedT:
        """Check, then the row and its trials in one transaction, then a message per
        trial."""
        uploaded = self.jobs.uploaded(spec.base, owner)
        kind.check(spec, uploaded)
        # A trial is the base with one value or its regularizers changed: it needs what
        # the base needs.
        placed = self.jobs.place(spec.base, owner, uploaded, at=("base",))
        sweep, trials = self.store.create(spec, placed)
        for job in trials:
            self.jobs.publish_created(job)
        return kind.accepted(id=sweep.id, status="running", url=kind.url_of(sweep.id))

    def _owned(
        self, kind: AnyKind, sweep_id: str, owner: str, *, with_result: bool = False
    ) -> Sweep:
        """The caller's row of ``kind``: another kind's id is no such row."""
        sweep = self.store.get(sweep_id, owner, kind=kind.name, with_result=with_result)
        if sweep is None:
            raise SweepNotFoundError(f"{kind.name}: {sweep_id}")
        return sweep

    def get(self, kind: SweepKind[Any, ReadT, Any, Any, Any], sweep_id: str, owner: str) -> ReadT:
        sweep = self._owned(kind, sweep_id, owner)
        return _read(kind, sweep, self.store.progress([sweep_id])[sweep_id])

    def page(
        self,
        kind: SweepKind[Any, Any, PageT, Any, Any],
        owner: str,
        status: SweepStatus | None,
        cursor: str | None,
        limit: int,
    ) -> PageT:
        """The caller's rows of ``kind``, newest first, a page at a time."""
        rows = self.store.page(
            owner=owner, kind=kind.name, status=status, cursor=cursor, limit=limit
        )
        rows, next_cursor = page_of(rows, limit)
        counts = self.store.progress([row.id for row in rows])
        items = [_read(kind, row, counts[row.id]) for row in rows]
        return kind.page(items=items, next_cursor=next_cursor)

    def result(
        self, kind: SweepKind[Any, Any, Any, Any, ResultT], sweep_id: str, owner: str
    ) -> ResultT:
        sweep = self._owned(kind, sweep_id, owner, with_result=True)
        if sweep.status != "succeeded" or sweep.result is None:
            raise SweepStateError(f"{kind.name} {sweep_id} is {sweep.status}; it has no result yet")
        url = kind.url_of(sweep_id)
        artifacts = [
            ArtifactRef(
                name=f["name"],
                media_type=f["media_type"],
                url=f"{url}/artifacts/{f['name']}",
                size=f["size"],
            )
            for f in sweep.result.get("files", [])
        ]
        body = {k: v for k, v in sweep.result.items() if k != "files"}
        return kind.result.model_validate(
            {**body, kind.result_id: sweep_id, "artifacts": artifacts}
        )

    def open_artifact(self, kind: AnyKind, sweep_id: str, name: str, owner: str) -> StoredFile:
        sweep = self._owned(kind, sweep_id, owner, with_result=True)
        for entry in (sweep.result or {}).get("files", []):
            if entry["name"] == name:
                return StoredFile(entry["key"], entry["media_type"])
        raise SweepNotFoundError(f"file: {sweep_id}/{name}")

    def cancel(
        self, kind: SweepKind[Any, ReadT, Any, Any, Any], sweep_id: str, owner: str
    ) -> ReadT:
        """Cancel every unfinished trial; the row ends cancelled."""
        sweep = self._owned(kind, sweep_id, owner)
        if sweep.status != "running":
            raise SweepStateError(f"{kind.name} {sweep_id} already {sweep.status}")
        self.store.finish(sweep_id, "cancelled")
        for job in self.store.trials(sweep_id, with_results=False):
            try:
                self.jobs.store.request_cancel(job.id, owner)
            except JobFinishedError:
                continue
        return self.get(kind, sweep_id, owner)

    def delete(self, kind: AnyKind, sweep_id: str, owner: str) -> None:
        """Remove a finished row, its trials and its figures. One that runs, or whose
        cancelled trials have not stopped yet, is a 409."""
        sweep = self._owned(kind, sweep_id, owner)
        counts = self.store.progress([sweep_id])[sweep_id]
        if sweep.status == "running" or counts["queued"] or counts["running"]:
            raise SweepStateError(
                f"{kind.name} {sweep_id} is {sweep.status} with {counts['running']} trial(s) "
                "running; cancel it, and delete it once its trials have stopped"
            )
        if self.store.delete(sweep_id, owner):
            self.artifacts.delete_prefix(f"sweeps/{sweep_id}")


def _read(kind: SweepKind[Any, ReadT, Any, Any, Any], sweep: Sweep, counts: Counter[str]) -> ReadT:
    error = None
    if sweep.error_code is not None:
        error = JobError(code=sweep.error_code, message=sweep.error_message or "")
    return kind.read(
        id=sweep.id,
        status=sweep.status,
        spec=sweep.spec,
        trials_done=counts["succeeded"] + counts["failed"] + counts["cancelled"],
        trials_total=sweep.trials,
        created_at=sweep.created_at,
        finished_at=sweep.finished_at,
        error=error,
        result_url=f"{kind.url_of(sweep.id)}/result" if sweep.status == "succeeded" else None,
    )
