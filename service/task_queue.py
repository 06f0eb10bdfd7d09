"""The Celery app as both sides see it: the API publishes job ids, workers consume them.

Only the configuration lives here; the task bodies are registered by
``workers.runtime.celery_app``, so the API can publish by task name without importing
the trainers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from celery import Celery

from service.config import Settings
from service.filesystem_broker import TRANSPORT as FILESYSTEM_TRANSPORT
from service.logs import request_id
from service.rabbitmq import QuorumAMQP, rabbitmq_conf

RUN_JOB_TASK = "regulab.run_job"
#: A webhook delivery, by id (``workers.runtime.webhooks``).
DELIVER_WEBHOOK_TASK = "regulab.deliver_webhook"
#: The message header that carries the id of the request that published it.
REQUEST_ID_HEADER = "regulab_request_id"
#: One figure of a succeeded job, by job id and name (``workers.runtime.figures``).
DRAW_FIGURE_TASK = "regulab.draw_figure"
#: Seconds a connection to a Redis or RabbitMQ broker may take to open (for RabbitMQ the
#: AMQP handshake included): a publish to a broker whose host is gone gives up after
#: this, not after the OS's minutes.
BROKER_CONNECT_TIMEOUT_SECONDS = 1.0
#: Seconds an API publish to RabbitMQ waits for the broker's confirm. A broker that has
#: blocked publishers (a memory or disk alarm) never confirms; the publish then fails
#: like one to a broker that is down, and the reaper publishes the job later.
PUBLISH_CONFIRM_TIMEOUT_SECONDS = 5.0
#: After a publish fails, the API does not try the broker again for this long.
PUBLISH_PAUSE_SECONDS = 2.0


def _filesystem_transport_options(settings: Settings) -> dict[str, Any]:
    folder = settings.broker_folder
    queue_dir, processed_dir, control_dir = (
        folder / "queue",
        folder / "processed",
        folder / "control",
    )
    for path in (queue_dir, processed_dir, control_dir):
        path.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue_dir),
        "data_folder_out": str(queue_dir),
        "processed_folder": str(processed_dir),
        "control_folder": str(control_dir),
        "store_processed": False,
        "polling_interval": settings.broker_polling_interval,
    }


def hard_time_limit(settings: Settings) -> float:
    """Seconds after which Celery kills a task's process: past the longest job allowed,
    plus the reaper's grace, so the store (not Celery) decides a job's fate."""
    return settings.job_max_seconds + settings.stale_after_seconds + 60


def _redis_transport_options(settings: Settings) -> dict[str, Any]:
    return {
        # Redis hands an unacknowledged message out again after this many seconds;
        # above the hard time limit, so a job still running is never delivered
        # twice for being slow (Celery #5935).
        "visibility_timeout": hard_time_limit(settings) + 600,
        "socket_connect_timeout": BROKER_CONNECT_TIMEOUT_SECONDS,
        # A publish opens the connection once, with no reconnects (kombu's default
        # is 4 s of them; two retries 0.2 s apart made a POST take 210 ms with the
        # broker down): every message has an outbox, the job's row, and the
        # reaper publishes it once the broker is back. (The worker's consumer
        # reconnects under its own, unbounded policy.)
        "max_retries": 0,
    }


def make_celery(settings: Settings) -> Celery:
    amqp = settings.uses_amqp_broker
    app = Celery(
        "regulab",
        broker=settings.broker_url,
        set_as_current=False,
        amqp=QuorumAMQP if amqp else None,
    )
    if settings.uses_filesystem_broker:
        transport_options = _filesystem_transport_options(settings)
    else:
        transport_options = _redis_transport_options(settings)
    app.conf.update(
        # kombu's own filesystem transport can hand a reader a message half written.
        broker_transport=FILESYSTEM_TRANSPORT if settings.uses_filesystem_broker else None,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        task_default_queue=settings.queue,
        task_serializer="json",
        accept_content=["json"],
        # Results live in the SQL store, never in a Celery result backend.
        task_ignore_result=True,
        # Ack after the task body ran, so a worker that dies mid-job leaves the
        # message to be re-delivered instead of losing it; the store's atomic
        # claim makes the re-delivery harmless.
        task_acks_late=True,
        # ... and when a pool process is killed, requeue its message rather than
        # acking it as failed (the reaper requeues the job itself as well).
        task_reject_on_worker_lost=True,
        # A job may run for minutes: take one message at a time, so others stay
        # in the queue for idle workers instead of waiting behind a long fit.
        worker_prefetch_multiplier=1,
        # When the broker connection drops, Celery could cancel running late-ack
        # tasks because their messages will come again. The store's claim already
        # turns a re-delivery into a no-op, so let the running fit finish instead of
        # throwing its work away.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        # A backstop for a step stuck in native code: checkpoints and the reaper end
        # jobs by their own max_seconds first.
        task_time_limit=hard_time_limit(settings),
        worker_hijack_root_logger=False,
        # The filesystem transport would poll a control queue for nothing.
        worker_enable_remote_control=not settings.uses_filesystem_broker,
        worker_send_task_events=False,
    )
    if amqp:
        app.conf.update(rabbitmq_conf(settings, BROKER_CONNECT_TIMEOUT_SECONDS))
    return app


def publish_job(app: Celery, job_id: str, queue: str) -> None:
    """Send the message that carries only the job id; the row holds the rest.

    Naming the queue (a direct exchange's) makes Celery send it through the default
    exchange straight to the queue of that name, which spares the Redis transport a
    bindings lookup on every publish (0.2 ms of a 5 ms budget, see bench/README.md).
    (``exchange=""`` with a ``routing_key`` instead sent every message to the default
    queue: Celery replaces an empty exchange's routing key with its queue's name.)
    """
    app.send_task(RUN_JOB_TASK, args=[job_id], queue=queue, headers=_ids(), **_publishing(app))


def publish_delivery(app: Celery, delivery_id: str, queue: str) -> None:
    """Send the message that carries only a webhook delivery's id."""
    app.send_task(DELIVER_WEBHOOK_TASK, args=[delivery_id], queue=queue, **_publishing(app))


def publish_figure(app: Celery, job_id: str, name: str, queue: str) -> None:
    """Send the message that draws one figure of a succeeded job."""
    app.send_task(
        DRAW_FIGURE_TASK, args=[job_id, name], queue=queue, headers=_ids(), **_publishing(app)
    )


def _publishing(app: Celery) -> dict[str, Any]:
    """How a publish treats the broker.

    No retries: with the broker down, fail at once and leave the message to its outbox
    (the job's row; the reaper publishes it) instead of holding the HTTP request in
    kombu's reconnect loop. On RabbitMQ, one retry at once on a new connection: the
    pooled connection may be one the broker closed while it sat idle (a restart, a
    proxy's idle timeout, an operator), which would otherwise fail the first publish
    after every such close. And with publisher confirms, how long a publish may wait
    for the broker to take the message and confirm it.
    """
    if not app.conf.broker_transport_options.get("confirm_publish"):
        return {"retry": False}
    return {
        "retry": True,
        "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0},
        "timeout": PUBLISH_CONFIRM_TIMEOUT_SECONDS,
        "confirm_timeout": PUBLISH_CONFIRM_TIMEOUT_SECONDS,
    }


def _ids() -> dict[str, str]:
    """The request's id, for the worker's log lines of what it asked for."""
    rid = request_id.get()
    return {REQUEST_ID_HEADER: rid} if rid is not None else {}


class BrokerPausedError(ConnectionError):
    """A publish failed moments ago, so this one was not tried."""


class JobPublisher:
    """The API's publisher: it publishes each job's message as the job is created, and
    after a publish fails it does not try the broker for ``pause`` seconds, raising
    BrokerPausedError at once instead. So no request waits on a broker that is down
    (a try costs a refused connection, or up to the connect timeout when the broker's
    host is gone); those jobs stay queued and unpublished, and the workers' reaper
    publishes them once the broker is back. One instance serves all of the API's
    threads.
    """

    def __init__(
        self,
        app: Celery,
        pause: float = PUBLISH_PAUSE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app, self.pause, self.clock = app, pause, clock
        self.paused_until = float("-inf")

    def __call__(self, job_id: str, queue: str) -> None:
        self._send(lambda: publish_job(self.app, job_id, queue))

    def figure(self, queue: str) -> Callable[[str, str], None]:
        """The publisher of figures to draw (job id, name) on ``queue``, paused with the
        jobs' publisher."""
        return lambda job_id, name: self._send(
            lambda: publish_figure(self.app, job_id, name, queue)
        )

    def _send(self, publish: Callable[[], None]) -> None:
        if self.clock() < self.paused_until:
            raise BrokerPausedError(
                f"the broker failed a publish less than {self.pause:g} s ago; not tried"
            )
        try:
            publish()
        except Exception:
            self.paused_until = self.clock() + self.pause
            raise


def broker_reachable(app: Celery, timeout: float = 2.0) -> bool:
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
            return True
    except Exception:
        return False
