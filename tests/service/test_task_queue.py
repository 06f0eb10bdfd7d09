"""Each kind of message lands on the queue it is published to, on every broker (an
empty exchange with a routing key once sent every one to the jobs' queue); on RabbitMQ
in quorum queues declared alike by every process, with publisher confirms, and a publish
to a broker that is down fails at once."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from kombu.exceptions import OperationalError

from service.config import Settings
from service.rabbitmq import AMQP_DELIVERY_LIMIT
from service.task_queue import (
    DELIVER_WEBHOOK_TASK,
    DRAW_FIGURE_TASK,
    RUN_JOB_TASK,
    make_celery,
    publish_delivery,
    publish_figure,
    publish_job,
)
from tests.backends import rabbitmqctl
from tests.processes import free_port
from tests.queues import take_messages


@pytest.mark.parametrize("settings", ["embedded", "services", "rabbitmq"], indirect=True)
def test_every_message_goes_to_the_queue_it_names(settings: Settings) -> None:
    app = make_celery(settings)
    publish_job(app, "job-1", settings.queue)
    publish_job(app, "job-2", settings.gpu_queue)
    publish_delivery(app, "delivery-1", settings.webhook_queue)
    publish_figure(app, "job-1", "coefficients.png", settings.figure_queue)
    assert take_messages(settings, settings.queue) == [(RUN_JOB_TASK, ["job-1"])]
    assert take_messages(settings, settings.gpu_queue) == [(RUN_JOB_TASK, ["job-2"])]
    assert take_messages(settings, settings.webhook_queue) == [
        (DELIVER_WEBHOOK_TASK, ["delivery-1"])
    ]
    assert take_messages(settings, settings.figure_queue) == [
        (DRAW_FIGURE_TASK, ["job-1", "coefficients.png"])
    ]


def vhost_of(settings: Settings) -> str:
    return urlsplit(settings.broker_url).path.lstrip("/")


def declared_queues(settings: Settings, names: set[str]) -> dict[str, dict[str, Any]]:
    """The vhost's queues as rabbitmqctl lists them, once all of ``names`` are listed (a
    quorum queue just declared can be missing from the list for a moment)."""
    deadline = time.monotonic() + 10
    while True:
        listed = rabbitmqctl(
            "list_queues", "--vhost", vhost_of(settings), "--formatter", "json",
            "name", "type", "durable", "arguments",
        )  # fmt: skip
        queues = {queue["name"]: queue for queue in json.loads(listed)}
        if names <= set(queues) or time.monotonic() > deadline:
            return queues
        time.sleep(0.1)


@pytest.mark.parametrize("settings", ["rabbitmq"], indirect=True)
def test_on_rabbitmq_every_queue_is_a_durable_quorum_queue_with_a_delivery_limit(
    settings: Settings,
) -> None:
    publish_job(make_celery(settings), "job-1", settings.queue)
    # A worker given a queue the settings do not name declares it the same way.
    worker_app = make_celery(settings)
    with worker_app.connection_for_write() as connection:
        worker_app.amqp.queues["regulab.extra"].bind(connection.default_channel).declare()
    queues = declared_queues(settings, {settings.queue, "regulab.extra"})
    for name in (settings.queue, "regulab.extra"):
        assert (queues[name]["type"], queues[name]["durable"]) == ("quorum", True)
        arguments = {key: value for key, _, value in queues[name]["arguments"]}
        assert arguments == {"x-queue-type": "quorum", "x-delivery-limit": AMQP_DELIVERY_LIMIT}
    assert take_messages(settings, settings.queue) == [(RUN_JOB_TASK, ["job-1"])]


@pytest.mark.parametrize("settings", ["rabbitmq"], indirect=True)
def test_on_rabbitmq_a_message_the_broker_refuses_fails_the_publish(settings: Settings) -> None:
    """Publisher confirms: a full queue that rejects publishes answers with a nack, which
    raises, where without confirms the message would be lost in silence."""
    rabbitmqctl(
        "set_policy", "--vhost", vhost_of(settings), "--apply-to", "queues",
        "full", "^regulab[.]full$", '{"max-length": 0, "overflow": "reject-publish"}',
    )  # fmt: skip
    app = make_celery(settings)
    # The policy reaches a new queue a moment after its declare, and a quorum queue
    # takes messages until it is over its limit: the first publishes may go through.
    deadline = time.monotonic() + 10
    with pytest.raises(OperationalError):
        while time.monotonic() < deadline:
            publish_job(app, "job-1", "regulab.full")
            time.sleep(0.05)


@pytest.mark.parametrize("settings", ["rabbitmq"], indirect=True)
def test_on_rabbitmq_a_publish_after_the_broker_closed_the_pooled_connection_goes_through(
    settings: Settings,
) -> None:
    """An idle publisher's connection closed by the broker (a restart, a proxy's idle
    timeout, an operator) is opened again for the next publish, not failed."""
    app = make_celery(settings)
    publish_job(app, "job-1", settings.queue)
    rabbitmqctl("close_all_connections", "--vhost", vhost_of(settings), "regulab test")
    time.sleep(0.5)  # the close reaches the client's socket
    publish_job(app, "job-2", settings.queue)
    taken = take_messages(settings, settings.queue)
    assert [args for _, args in taken] == [["job-1"], ["job-2"]]


def test_a_publish_to_a_rabbitmq_that_is_down_fails_at_once(
    tmp_path: pytest.TempPathFactory,
) -> None:
    settings = Settings(
        data_dir=tmp_path, broker_url=f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    )
    app = make_celery(settings)
    started = time.monotonic()
    with pytest.raises(OperationalError):
        publish_job(app, "job-1", settings.queue)
    assert time.monotonic() - started < 1.0
