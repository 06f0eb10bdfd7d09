"""Messages taken off a queue of either broker, as a worker would receive them."""

from __future__ import annotations

from typing import Any

from service.config import Settings
from service.task_queue import make_celery


def take_messages(settings: Settings, queue_name: str) -> list[tuple[str, list[Any]]]:
    """Each message on ``queue_name`` as (task name, args), acknowledged (so removed)."""
    app = make_celery(settings)
    taken: list[tuple[str, list[Any]]] = []
    with app.connection_for_read() as connection:
        # The queue as the app declares it (RabbitMQ refuses a declare with other arguments).
        queue = connection.SimpleQueue(app.amqp.queues[queue_name])
        try:
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    return taken
                taken.append((message.headers["task"], message.decode()[0]))
                message.ack()
        finally:
            queue.close()
