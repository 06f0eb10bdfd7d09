"""What each event says: one builder per change, from the facts of the row it changes.

A job's events are ``job.*``; a scoring's ``scoring.*`` (it is a job row that scores
another job's model); a sweep's or comparison's trial has none of its own: its end is
``sweep.task_finished`` (``comparison.task_finished``) on its sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.events.record import NewEvent

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class JobFacts:
    """What an update of a job row returns, enough to say whose and what it is."""

    id: str
    owner: str
    attempt: int
    sweep_id: str | None = None
    scores_job_id: str | None = None
    trial: int | None = None


#: The columns of a job row that make its JobFacts, in order (for ``.returning``).
JOB_FACT_COLUMNS = ("id", "owner", "attempt", "sweep_id", "scores_job_id", "trial")


def subject_of(job: JobFacts) -> str | None:
    """job or scoring; None for a sweep's trial (its sweep speaks for it)."""
    if job.scores_job_id is not None:
        return "scoring"
    return None if job.sweep_id is not None else "job"


def url_of(subject_type: str, subject_id: str) -> str:
    collection = {"job": "jobs", "scoring": "scorings", "sweep": "sweeps"}
    return f"/v1/{collection.get(subject_type, subject_type + 's')}/{subject_id}"


def job_event(job: JobFacts, what: str, data: dict[str, Any]) -> list[NewEvent]:
    """``<job|scoring>.<what>``, or nothing for a trial."""
    subject = subject_of(job)
    if subject is None:
        return []
    return [NewEvent(job.owner, subject, job.id, f"{subject}.{what}", data)]


def queued(job: JobFacts, *, requeued: bool = False) -> list[NewEvent]:
    data: dict[str, Any] = {"status": "queued", "attempt": job.attempt}
    if requeued:
        data["requeued"] = True  # its worker went away; another will run it
    return job_event(job, "queued", data)


def running(job: JobFacts) -> list[NewEvent]:
    return job_event(job, "running", {"status": "running", "attempt": job.attempt})


def progress(job: JobFacts, progress: dict[str, Any]) -> list[NewEvent]:
    return job_event(job, "progress", {"attempt": job.attempt, **progress})


def epoch(job: JobFacts, step: int, kind: str, data: dict[str, Any]) -> list[NewEvent]:
    """A history row (an epoch of a network, a stage of a linear fit), as
    GET /v1/jobs/{id}/history lists it."""
    return job_event(job, kind, {"attempt": job.attempt, "step": step, "kind": kind, **data})


def finished(
    job: JobFacts,
    status: str,
    values: dict[str, Any] | None = None,
    sweep: tuple[str, str] | None = None,
) -> list[NewEvent]:
    """A job's (or scoring's) end, from the columns its finish set (``result``,
    ``error_code``, ``error_message``), with a summary and where its result is; a trial's
    end as ``<kind>.task_finished`` on ``sweep`` (its kind and owner)."""
    values = values or {}
    result = values.get("result")
    data: dict[str, Any] = {"status": status, "attempt": job.attempt}
    if values.get("error_code") is not None:
        data["error"] = {"code": values["error_code"], "message": values.get("error_message")}
    subject = subject_of(job)
    if subject is None:
        if sweep is None or job.sweep_id is None:
            return []
        kind, owner = sweep
        data.update(trial=job.trial, job_id=job.id, **_trial_scores(result))
        return [NewEvent(owner, kind, job.sweep_id, f"{kind}.task_finished", data)]
    url = url_of(subject, job.id)
    if status == "succeeded" and result is not None:
        data["result_url"] = f"{url}/result" if subject == "job" else url
        data["summary"] = _summary(result)
    data["url"] = url
    return [NewEvent(job.owner, subject, job.id, f"{subject}.{status}", data)]


def sweep_running(owner: str, kind: str, sweep_id: str, trials: int) -> NewEvent:
    return NewEvent(
        owner, kind, sweep_id, f"{kind}.running", {"status": "running", "trials": trials}
    )


def sweep_finished(
    owner: str, kind: str, sweep_id: str, status: str, values: dict[str, Any]
) -> NewEvent:
    data: dict[str, Any] = {"status": status, "url": url_of(kind, sweep_id)}
    if status == "succeeded":
        data["result_url"] = f"{url_of(kind, sweep_id)}/result"
    if values.get("error_code") is not None:
        data["error"] = {"code": values["error_code"], "message": values.get("error_message")}
    return NewEvent(owner, kind, sweep_id, f"{kind}.{status}", data)


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    """The few numbers a listener wants without fetching the result."""
    keys = ("task", "metrics", "fit_seconds", "n_train", "n_test", "rows")
    summary = {k: result[k] for k in keys if k in result}
    coefficients = result.get("coefficients")
    if isinstance(coefficients, dict) and "n_nonzero" in coefficients:
        summary["n_nonzero"] = coefficients["n_nonzero"]
    return summary


def _trial_scores(result: dict[str, Any] | None) -> dict[str, Any]:
    """A fold's scores along the path, or a comparison trial's test metrics."""
    if not result:
        return {}
    if "test_score" in result:
        return {"test_score": result["test_score"]}
    metrics = result.get("metrics")
    if isinstance(metrics, dict) and metrics.get("test") is not None:
        return {"test": metrics["test"]}
    return {}
