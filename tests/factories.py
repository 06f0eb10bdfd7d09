"""Valid job specs; each test states only what differs."""

from __future__ import annotations

import copy
from typing import Any

from api_schemas import JobCreate
from service.api.auth import ANONYMOUS
from service.jobs.store import JobStore
from service.tables import Job
from tests.reference import L1_JOB


def job_body(**changes: Any) -> dict[str, Any]:
    """The article's L1 job with top-level keys replaced."""
    body = copy.deepcopy(L1_JOB)
    body.update(changes)
    return body


def create_job(store: JobStore, owner: str = ANONYMOUS, **changes: Any) -> Job:
    """A queued job row, as POST /v1/jobs stores it."""
    return store.create(JobCreate.model_validate(job_body(**changes)), owner=owner, max_seconds=60)
