"""Sending webhooks from the workers: a dispatcher thread in each worker's main process
hands due deliveries to tasks on the webhook queue, which send them.

The dispatcher wakes on a NOTIFY sent with each queued delivery on PostgreSQL (and at
least every second, for retries that come due), or polls every 0.05 s on the embedded
default. Handing a delivery out moves its due time a lease ahead, so several workers'
dispatchers never hand out the same one at once, and one whose task died (a SIGKILLed
worker) is handed out again when the lease ends: at least once, with the same webhook-id.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from service.config import Settings
from service.events.record import DELIVERIES
from service.events.wakeup import listen_url
from service.webhooks.delivery import Deliverer, DeliveryPolicy
from service.webhooks.store import WebhookStore

log = logging.getLogger(__name__)

#: How often the embedded default looks for due deliveries.
POLL_SECONDS = 0.05
#: The longest a dispatcher waits for a NOTIFY before it looks anyway.
LISTEN_SECONDS = 1.0


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        allow_private=settings.webhook_allow_private,
        max_attempts=settings.webhook_max_attempts,
        delays=settings.webhook_retry_delays,
        disable_after=timedelta(hours=settings.webhook_disable_after_hours),
        timeout=settings.webhook_timeout_seconds,
    )


def deliverer_from_settings(settings: Settings, store: WebhookStore) -> Deliverer:
    return Deliverer(store, delivery_policy(settings))


class WebhookDispatcher(threading.Thread):
    def __init__(
        self, store: WebhookStore, publish: Callable[[str], None], settings: Settings
    ) -> None:
        super().__init__(name="regulab-webhooks", daemon=True)
        self.store, self.publish = store, publish
        # Long enough for a task to wait its turn briefly and send; a dispatcher killed
        # between handing a delivery out and publishing it delays it by this much.
        self.lease = timedelta(seconds=2 * settings.webhook_timeout_seconds + 10)
        self.listen_url = listen_url(settings.sqlalchemy_url)
        self.stopping = threading.Event()

    def run(self) -> None:
        with contextlib.ExitStack() as stack:
            wait = self._listener(stack) if self.listen_url else self._sleep
            while not self.stopping.is_set():
                try:
                    self.dispatch_once()
                    wait()
                except Exception:
                    log.exception("webhook dispatch failed; trying again in 1 s")
                    self.stopping.wait(1.0)
                    if self.listen_url:
                        stack.close()
                        wait = self._listener(stack)

    def dispatch_once(self) -> int:
        """Hand every due delivery to a task; returns how many."""
        handed = 0
        for delivery_id in self.store.claim_due(self.lease):
            try:
                self.publish(delivery_id)
                handed += 1
            except Exception as exc:  # the lease brings it back once the broker is
                log.warning("could not publish webhook delivery %s: %s", delivery_id, exc)
        return handed

    def stop(self) -> None:
        self.stopping.set()

    def _sleep(self) -> None:
        self.stopping.wait(POLL_SECONDS)

    def _listener(self, stack: contextlib.ExitStack) -> Callable[[], None]:
        import psycopg

        assert self.listen_url is not None
        connection = stack.enter_context(psycopg.connect(self.listen_url, autocommit=True))
        connection.execute(f"LISTEN {DELIVERIES}")

        def wait() -> None:
            for _ in connection.notifies(timeout=LISTEN_SECONDS, stop_after=1):
                pass

        return wait
