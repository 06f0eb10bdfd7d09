"""Each kind of message lands on the queue it is published to, on both brokers (an
empty exchange with a routing key once sent every one to the jobs' queue)."""

from __future__ import annotations

from service.config import Settings
from service.task_queue import (
    DELIVER_WEBHOOK_TASK,
    DRAW_FIGURE_TASK,
    RUN_JOB_TASK,
    make_celery,
    publish_delivery,
    publish_figure,
    publish_job,
)
from tests.queues import take_messages


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
