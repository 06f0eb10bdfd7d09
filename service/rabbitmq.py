"""RabbitMQ's side of the queue (``amqp://`` brokers): quorum queues declared alike by
every process, publisher confirms, a delivery limit, and a worker consumer without the
parts regulab does not use. ``service.task_queue`` applies it when the broker URL is
``amqp://``.
"""

from __future__ import annotations

from typing import Any

from celery.app.amqp import AMQP
from celery.app.amqp import Queues as CeleryQueues
from celery.worker.consumer import Consumer
from kombu.entity import Exchange, Queue

from service.config import Settings

#: RabbitMQ drops a message handed out more than this many times (``x-delivery-limit``):
#: one that kills every worker that takes it would otherwise loop for ever. Dropping is
#: safe, as the job's row is the outbox: the reaper publishes a queued job again,
#: requeues a running one whose worker is gone, and fails it after max_attempts. A
#: queue argument, so a constant: RabbitMQ refuses (PRECONDITION_FAILED) to declare a
#: queue again with other arguments, so every process must send these same ones.
AMQP_DELIVERY_LIMIT = 5
#: The arguments of every queue on RabbitMQ: a quorum queue (durable, replicated on a
#: majority of the cluster's nodes, its messages' delivery counted).
AMQP_QUEUE_ARGUMENTS: dict[str, Any] = {
    "x-queue-type": "quorum",
    "x-delivery-limit": AMQP_DELIVERY_LIMIT,
}


def amqp_queue(name: str) -> Queue:
    """The one declaration of queue ``name`` on RabbitMQ, the same in every process: a
    quorum queue bound to a direct exchange of its name (the exchange and binding Celery
    gives a queue it creates)."""
    exchange = Exchange(name, type="direct")  # type: ignore[no-untyped-call]
    arguments = dict(AMQP_QUEUE_ARGUMENTS)  # a copy: Celery may add to a queue's arguments
    return Queue(  # type: ignore[no-untyped-call]
        name, exchange, routing_key=name, queue_arguments=arguments
    )


class _QuorumQueues(CeleryQueues):  # type: ignore[misc]  # celery is untyped
    """Celery's queue table, where a queue asked for by name and not configured (a
    worker's ``--queues``, a job row's queue from before a rename) is declared like the
    configured ones instead of as a classic queue."""

    def new_missing(self, name: str) -> Queue:
        return amqp_queue(name)


class QuorumAMQP(AMQP):  # type: ignore[misc]  # celery is untyped
    queues_cls = _QuorumQueues


class _ConsumerWithoutDelayedDelivery(Consumer):  # type: ignore[misc]  # celery is untyped
    """Celery's worker consumer without its native delayed delivery, which it starts when
    it sees quorum queues: 28 more quorum queues and exchanges declared at every start
    (and a warning per direct exchange), for ETA and countdown messages that regulab
    never sends (retries wait in the store, not in the broker)."""

    class Blueprint(Consumer.Blueprint):  # type: ignore[misc]
        default_steps = tuple(
            step
            for step in Consumer.Blueprint.default_steps
            if not step.endswith(":DelayedDelivery")
        )


def rabbitmq_conf(settings: Settings, connect_timeout: float) -> dict[str, Any]:
    """What RabbitMQ offers for not losing a job's message, on top of the late acks.

    - Quorum queues (``AMQP_QUEUE_ARGUMENTS``): durable and replicated, declared the same
      way by the API's publish and the workers' consume, with a delivery limit.
    - Publisher confirms: a publish returns once RabbitMQ has the message (a quorum
      queue: on a majority of its nodes), and raises when it refuses it, instead of
      losing it in silence.

    Quorum queues have no global QoS: ``worker_detect_quorum_queues`` (on by default)
    sees the quorum type in ``task_queues`` and sets the prefetch per consumer instead.
    So a worker holds one message of each queue it serves, not one in all: while it
    runs a long job, a webhook or figure message it took waits for it, where idle
    workers could have taken it (on Redis the one limit covers every queue). Workers
    given ``--queues`` of their own for the webhook and figure queues avoid that.

    RabbitMQ closes a channel whose delivery has gone unacknowledged for its
    ``consumer_timeout`` (30 minutes by default), and with late acks that is any job
    running longer. Celery's worker would take that channel error as fatal and exit,
    killing the fit (the reaper then retries the job, which dies again at 30 minutes):
    ``broker_channel_error_retry`` makes it reconnect instead, the fit goes on
    (``worker_cancel_long_running_tasks_on_connection_loss``), and the returned
    message comes again as a no-op, the job no longer queued, while the fit's own ack
    has no channel to go to. Nothing is lost or run twice, but each timeout costs a
    reconnect and a redelivery (counted towards ``AMQP_DELIVERY_LIMIT``). So set the
    server's ``consumer_timeout`` above the hard time limit, ``job_max_seconds +
    stale_after_seconds + 60`` (86,490 s by default: ``consumer_timeout = 90000000`` in
    rabbitmq.conf), or from RabbitMQ 3.12 a ``consumer-timeout`` policy on these queues.
    """
    queues = (settings.queue, settings.gpu_queue, settings.webhook_queue, settings.figure_queue)
    return {
        "task_queues": [amqp_queue(name) for name in dict.fromkeys(queues)],
        # As on Redis, a publish connects once, with no reconnects and for at most the
        # connect timeout (kombu's default is 4 s; with reconnects a refused
        # connection took 2 s): the job's row is the outbox.
        "broker_transport_options": {"confirm_publish": True, "max_retries": 0},
        "broker_connection_timeout": connect_timeout,
        "broker_channel_error_retry": True,
        # No ``celery inspect``/``control``: regulab cancels and hands jobs back through
        # the store, and the pidbox's queues are transient, non-exclusive classic queues,
        # which RabbitMQ 4 deprecates (4.3 refuses them).
        "worker_enable_remote_control": False,
        "worker_consumer": _ConsumerWithoutDelayedDelivery,
    }
