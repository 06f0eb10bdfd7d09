"""The API with its Redis broker down: jobs are accepted and left for the reaper, and the
publisher stops trying the broker for a moment after a failure. (How fast such a POST
answers is measured by ``python -m bench.broker_outage``.)"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from kombu.exceptions import OperationalError

from service.config import Settings
from service.db import make_engine
from service.jobs.attempts import AttemptStore
from service.jobs.store import JobStore
from service.main import create_app
from service.task_queue import (
    PUBLISH_PAUSE_SECONDS,
    BrokerPausedError,
    JobPublisher,
    make_celery,
    publish_job,
)
from tests.factories import job_body
from tests.processes import RedisServer, free_port
from workers.runtime.reaper import reap_once


def with_broker(settings: Settings, broker_url: str) -> Settings:
    return Settings.model_validate({**settings.model_dump(), "broker_url": broker_url})


def test_a_post_with_the_broker_down_is_accepted_and_left_for_the_reaper(
    settings: Settings,
) -> None:
    down = with_broker(settings, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    with TestClient(create_app(down)) as client:
        # The first publish is tried and refused; the second is not tried at all.
        answers = [client.post("/v1/jobs", json=job_body()) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [202, 202]
    engine = make_engine(settings)
    jobs = [JobStore(engine).get(answer.json()["id"]) for answer in answers]
    assert [(job.status, job.published_at) for job in jobs if job] == [("queued", None)] * 2
    # A worker's reaper, on a broker that answers, publishes both.
    publish = partial(publish_job, make_celery(settings))
    assert reap_once(AttemptStore(engine), publish, settings) == {"published": 2}
    for answer in answers:
        job = JobStore(engine).get(answer.json()["id"])
        assert job is not None and job.published_at is not None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, started; the test stops and starts it."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_publisher_pauses_after_a_failed_publish_then_publishes_again(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    url, stop, start = own_redis.url, own_redis.stop, own_redis.start
    now = [0.0]
    settings = Settings(data_dir=tmp_path / "data", broker_url=url)
    publisher = JobPublisher(make_celery(settings), clock=lambda: now[0])
    queue = redis.Redis.from_url(url)

    publisher("job-1", settings.queue)
    assert queue.llen(settings.queue) == 1
    stop()
    with pytest.raises(OperationalError):
        publisher("job-2", settings.queue)  # tried: the connection is refused
    start()  # empty: no persistence
    with pytest.raises(BrokerPausedError):
        publisher("job-3", settings.queue)  # not tried, though the broker is back
    now[0] += PUBLISH_PAUSE_SECONDS
    publisher("job-4", settings.queue)
    [message] = queue.lrange(settings.queue, 0, -1)
    assert b"job-4" in message
