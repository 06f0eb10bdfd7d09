"""The embedded broker hands a consumer whole messages only, while another process writes."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from queue import Empty

import pytest

from service.config import Settings
from service.filesystem_broker import PARTIAL_PREFIX
from service.task_queue import make_celery

MESSAGES = 1500
BODY = "x" * 20_000  # large enough that a write takes long enough to be caught halfway


def publish_many(settings: Settings) -> None:
    with make_celery(settings).connection_for_write() as connection:
        channel = connection.default_channel
        for index in range(MESSAGES):
            channel._put(settings.queue, {"index": index, "body": BODY})


def test_a_consumer_never_reads_a_message_half_written(embedded_settings: Settings) -> None:
    settings = embedded_settings
    writer = multiprocessing.get_context("fork").Process(target=publish_many, args=(settings,))
    received: list[int] = []
    with make_celery(settings).connection_for_read() as connection:
        channel = connection.default_channel
        writer.start()
        deadline = time.monotonic() + 60
        while writer.is_alive() or len(received) < MESSAGES:
            assert time.monotonic() < deadline, f"{len(received)} of {MESSAGES} arrived"
            try:
                message = channel._get(settings.queue)  # raises on a half-written file
            except Empty:
                if not writer.is_alive() and writer.exitcode != 0:
                    pytest.fail(f"the publisher exited with {writer.exitcode}")
                continue
            assert message["body"] == BODY
            received.append(message["index"])
    writer.join()
    assert sorted(received) == list(range(MESSAGES))
    queue_folder = Path(settings.broker_folder / "queue")
    assert not [p for p in queue_folder.iterdir() if p.name.startswith(PARTIAL_PREFIX)]
