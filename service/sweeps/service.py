"""Sweep operations for the routes: submit, read, result, files, cancel."""

from __future__ import annotations

from collections import Counter
from typing import Any, BinaryIO

from api_schemas import (
    NETWORK_KINDS,
    PENALTY_KINDS,
    STRENGTH_KINDS,
    ArtifactRef,
    JobCreate,
    JobError,
    LinearRegressionSpec,
    LogisticRegressionSpec,
)
from api_schemas.comparisons import ComparisonCreate, ComparisonResult, Configuration
from api_schemas.sweeps import SweepCreate, SweepList, SweepRead, SweepResult, SweepStatus
from service.artifacts import ArtifactStore
from service.datasets.store import DatasetStore
from service.jobs.pagination import encode_cursor
from service.jobs.policy import Queues, TimeLimits
from service.jobs.service import Publisher, publish_created
from service.jobs.store import JobFinishedError, JobStore
from service.jobs.validation import SpecError, check_job_spec
from service.sweeps.store import SweepStore
from service.tables import Sweep, UploadedDataset


class SweepNotFoundError(LookupError):
    pass


class SweepStateError(RuntimeError):
    pass


def sweep_url(sweep_id: str) -> str:
    return f"/v1/sweeps/{sweep_id}"


def check_sweep_spec(spec: SweepCreate, uploaded: UploadedDataset | None = None) -> None:
    """What this service can sweep: the alpha (and l1_ratio) of a linear or logistic
    regression's penalty, or a network's dropout rate or penalty alpha, on a
    built-in dataset or ``uploaded`` (the caller's dataset the base names)."""
    _check_grid_shape(spec)
    if spec.base.model.kind in NETWORK_KINDS:
        _check_network_sweep(spec, uploaded)
        return
    if spec.parameter == "rate":
        raise SpecError(("base", "model", "kind"), "a rate sweep varies a network's dropout")
    model = spec.base.model
    linear = isinstance(model, LinearRegressionSpec | LogisticRegressionSpec)
    if not linear or getattr(model, "engine", "sklearn") != "sklearn":
        raise SpecError(
            ("base", "model", "kind"),
            "sweeps compute paths for linear and logistic regression (engine sklearn) for now",
        )
    if any(not v > 0 for v in spec.grid["alpha"].points()):
        raise SpecError(("grid", "alpha"), "alphas must be above 0")
    penalties = [r for r in spec.base.regularizers if r.kind in PENALTY_KINDS]
    if len(penalties) != 1:
        raise SpecError(
            ("base", "regularizers"), "a sweep varies the alpha of one l1, l2 or elastic_net"
        )
    if spec.l1_ratios is not None and penalties[0].kind != "elastic_net":
        raise SpecError(
            ("base", "regularizers"), "an l1_ratio grid varies the mix of an elastic_net"
        )
    _check_base(spec.base, uploaded)


def _check_grid_shape(spec: SweepCreate) -> None:
    """One parameter, or alpha with l1_ratio (a path over alpha for each l1_ratio)."""
    keys = set(spec.grid)
    if "l1_ratio" in keys and "alpha" not in keys:
        raise SpecError(
            ("grid", "alpha"), "an l1_ratio grid needs an alpha grid: each ratio gets a path"
        )
    if "rate" in keys and len(keys) > 1:
        raise SpecError(("grid",), "a rate grid goes alone; alpha pairs only with l1_ratio")
    if spec.l1_ratios is not None and any(not 0 <= v <= 1 for v in spec.l1_ratios):
        raise SpecError(("grid", "l1_ratio"), "l1_ratio values lie in [0, 1]")


def _check_base(base: JobCreate, uploaded: UploadedDataset | None) -> None:
    try:
        check_job_spec(base, uploaded)
    except SpecError as exc:
        raise SpecError(("base", *exc.loc[1:]), exc.message) from exc


def _check_network_sweep(spec: SweepCreate, uploaded: UploadedDataset | None) -> None:
    """A network's dropout rate, or the alpha of its one weight_decay, l1, l2 or
    elastic_net."""
    if spec.l1_ratios is not None:
        raise SpecError(("grid", "l1_ratio"), "l1_ratio grids are for linear and logistic models")
    if spec.parameter == "rate":
        if not any(r.kind == "dropout" for r in spec.base.regularizers):
            raise SpecError(("base", "regularizers"), "a rate sweep needs a dropout regularizer")
        if any(not 0 <= v < 1 for v in spec.grid["rate"].points()):
            raise SpecError(("grid", "rate"), "dropout rates lie in [0, 1)")
    else:
        strengths = [r.kind for r in spec.base.regularizers if r.kind in STRENGTH_KINDS]
        if len(strengths) != 1:
            raise SpecError(
                ("base", "regularizers"),
                "an alpha sweep of a network varies one weight_decay, l1, l2 or elastic_net; "
                f"this base has {len(strengths)}",
            )
        if any(not v > 0 for v in spec.grid["alpha"].points()):
            raise SpecError(("grid", "alpha"), "alphas must be above 0")
    _check_base(spec.base, uploaded)


def submit_sweep(
    sweeps: SweepStore,
    jobs: JobStore,
    publish: Publisher,
    spec: SweepCreate,
    *,
    owner: str,
    limits: TimeLimits,
    queues: Queues,
    datasets: DatasetStore,
) -> Sweep:
    """The sweep and a job per fold in one transaction, then a message per fold."""
    uploaded = _uploaded(datasets, spec.base, owner)
    check_sweep_spec(spec, uploaded)
    sweep, folds = sweeps.create(
        spec,
        owner=owner,
        max_seconds=limits.resolve(spec.base),
        queue=queues.for_spec(spec.base),
        dataset=uploaded,
    )
    for job in folds:
        publish_created(jobs, publish, job)
    return sweep


def _uploaded(datasets: DatasetStore, base: JobCreate, owner: str) -> UploadedDataset | None:
    return datasets.get(base.dataset.id, owner) if base.dataset.id else None


def _owned(sweeps: SweepStore, sweep_id: str, owner: str) -> Sweep:
    sweep = sweeps.get(sweep_id, owner)
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
        trials_total=sweep.folds,
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
        _owned(sweeps, sweep_id, owner), "sweep", sweep_url(sweep_id)
    )
    return SweepResult.model_validate({**body, "sweep_id": sweep_id, "artifacts": artifacts})


def comparison_url(comparison_id: str) -> str:
    return f"/v1/comparisons/{comparison_id}"


def check_comparison_spec(spec: ComparisonCreate, uploaded: UploadedDataset | None = None) -> None:
    """Linear and logistic regression (scikit-learn) or a network, on a built-in dataset or
    ``uploaded``; each configuration must be a valid job on the base."""
    model = spec.base.model
    linear = isinstance(model, LinearRegressionSpec | LogisticRegressionSpec)
    if linear and getattr(model, "engine", "sklearn") != "sklearn":
        raise SpecError(
            ("base", "model", "engine"), "comparisons of linear models run on engine sklearn"
        )
    if spec.base.regularizers:
        raise SpecError(("base", "regularizers"), "put regularizers in the configurations")
    for index, configuration in enumerate(spec.configurations):
        job = spec.base.model_copy(update={"regularizers": configuration.regularizers})
        if configuration.tune is not None:
            _check_tuning(configuration, index, linear)
        try:
            check_job_spec(job, uploaded)
        except SpecError as exc:
            loc = exc.loc[1:]
            if loc and loc[0] == "regularizers":
                raise SpecError(("configurations", index, *loc), exc.message) from exc
            raise SpecError(("base", *loc), exc.message) from exc


def _check_tuning(configuration: Configuration, index: int, linear: bool) -> None:
    loc = ("configurations", index)
    if not linear:
        raise SpecError((*loc, "tune"), "tune chooses a linear or logistic model's alpha")
    penalties = [r for r in configuration.regularizers if r.kind in PENALTY_KINDS]
    if len(penalties) != 1:
        raise SpecError(
            (*loc, "regularizers"), "tune chooses the alpha of one l1, l2 or elastic_net"
        )
    assert configuration.tune is not None
    if any(not v > 0 for v in configuration.tune.alpha.points()):
        raise SpecError((*loc, "tune", "alpha"), "alphas must be above 0")


def submit_comparison(
    sweeps: SweepStore,
    jobs: JobStore,
    publish: Publisher,
    spec: ComparisonCreate,
    *,
    owner: str,
    limits: TimeLimits,
    queues: Queues,
    datasets: DatasetStore,
) -> Sweep:
    """Like a sweep: the row and a job per fold, each fold scoring every configuration."""
    uploaded = _uploaded(datasets, spec.base, owner)
    check_comparison_spec(spec, uploaded)
    comparison, folds = sweeps.create(
        spec,
        owner=owner,
        max_seconds=limits.resolve(spec.base),
        queue=queues.for_spec(spec.base),
        dataset=uploaded,
    )
    for job in folds:
        publish_created(jobs, publish, job)
    return comparison


def get_comparison_result(sweeps: SweepStore, comparison_id: str, owner: str) -> ComparisonResult:
    body, artifacts = _finished_result(
        _owned(sweeps, comparison_id, owner), "comparison", comparison_url(comparison_id)
    )
    return ComparisonResult.model_validate(
        {**body, "comparison_id": comparison_id, "artifacts": artifacts}
    )


def open_sweep_artifact(
    sweeps: SweepStore, artifacts: ArtifactStore, sweep_id: str, name: str, owner: str
) -> tuple[BinaryIO, str]:
    sweep = _owned(sweeps, sweep_id, owner)
    for entry in (sweep.result or {}).get("files", []):
        if entry["name"] == name:
            return artifacts.open(entry["key"]), entry["media_type"]
    raise SweepNotFoundError(f"{sweep_id}/{name}")


def cancel_sweep(sweeps: SweepStore, jobs: JobStore, sweep_id: str, owner: str) -> SweepRead:
    """Cancel every unfinished fold; the sweep ends cancelled."""
    sweep = _owned(sweeps, sweep_id, owner)
    if sweep.status != "running":
        raise SweepStateError(f"sweep {sweep_id} already {sweep.status}")
    sweeps.finish(sweep_id, "cancelled")
    for job in sweeps.folds(sweep_id):
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
