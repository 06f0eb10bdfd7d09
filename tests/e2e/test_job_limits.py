"""A job's memory ceiling in a real worker: the job fails, its pool process lives on."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.db import make_engine
from service.jobs.store import JobStore
from service.task_queue import make_celery, publish_job
from tests.conftest import make_settings
from tests.factories import create_job
from tests.processes import deployment
from tests.reference import L1_JOB

pytestmark = pytest.mark.e2e


def test_a_job_past_its_memory_fails_out_of_memory_and_its_process_runs_the_next(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings("embedded", tmp_path, request).model_copy(
        update={"max_job_memory_bytes": 256 * 2**20}
    )
    with deployment(settings, tmp_path, {"concurrency": "1"}) as d:
        jobs = JobStore(make_engine(settings))
        # Stored past the API's admission check: 65536 x 65536 float32 weights are 16 GiB.
        huge = create_job(
            jobs,
            dataset={"name": "digits"},
            model={"kind": "mlp", "hidden": [65536, 65536]},
            regularizers=[],
            training={"epochs": 1},
        )
        publish_job(make_celery(settings), huge.id, settings.queue)
        failed = d.wait_for(huge.id, {"failed", "succeeded"})
        assert failed["error"]["code"] == "out_of_memory", failed
        assert failed["attempt"] == 1

        response = d.client.post("/v1/jobs", json=L1_JOB)
        assert response.status_code == 202, response.text
        small_id = response.json()["id"]
        assert d.wait_for_job(small_id)["status"] == "succeeded"
        first, second = jobs.get(huge.id), jobs.get(small_id)
        assert first is not None and second is not None
        assert first.worker == second.worker  # the same pool process, not a replacement
