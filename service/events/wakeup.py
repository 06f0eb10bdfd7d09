"""Waking the API's event streams when a new event may exist.

Only a hint: a stream always reads the events table, so a lost wake-up costs latency
(up to ``fallback_seconds``), never an event.

- PostgreSQL: writers ``NOTIFY regulab_events`` in the transaction that stores the
  event (delivered at its commit); one connection per API process LISTENs.
- Otherwise (the embedded SQLite default): the newest event id is polled every
  ``poll_seconds`` (0.05 s) while any stream waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.engine import make_url

from service.events.record import CHANNEL

log = logging.getLogger(__name__)


class EventWakeup:
    def __init__(
        self,
        latest: Callable[[], int],
        *,
        listen_url: str | None = None,
        poll_seconds: float = 0.05,
        fallback_seconds: float = 1.0,
    ) -> None:
        self.latest, self.listen_url = latest, listen_url
        self.poll_seconds, self.fallback_seconds = poll_seconds, fallback_seconds
        self.waiting = 0
        self._seen = -1
        self._event: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def mode(self) -> str:
        return "listen" if self.listen_url else "poll"

    def token(self) -> asyncio.Event:
        """Take before reading the table, then ``wait`` on it: a wake-up that comes
        between the read and the wait is not missed."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    async def wait(self, token: asyncio.Event, timeout: float | None = None) -> None:
        """Until a wake-up after ``token`` was taken, or ``timeout`` (fallback_seconds)."""
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                wait = self.fallback_seconds if timeout is None else timeout
                await asyncio.wait_for(token.wait(), wait)
        finally:
            self.waiting -= 1

    def wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        if event is not None:
            event.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _run(self) -> None:
        if self.listen_url is None:
            await self._poll()
            return
        while True:
            try:
                await self._listen(self.listen_url)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store restarting: streams still time out and read
                log.warning("LISTEN %s failed (%s); trying again in 1 s", CHANNEL, exc)
                self.wake()
                await asyncio.sleep(1.0)

    async def _poll(self) -> None:
        while True:
            if self.waiting:
                latest = await asyncio.to_thread(self.latest)
                if latest != self._seen:
                    self._seen = latest
                    self.wake()
            await asyncio.sleep(self.poll_seconds)

    async def _listen(self, url: str) -> None:
        import psycopg  # the PostgreSQL driver the store uses already

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            await connection.execute(f"LISTEN {CHANNEL}")
            self.wake()  # anything committed while we were not listening
            while True:
                async for _ in connection.notifies(timeout=self.fallback_seconds):
                    self.wake()


def listen_url(sqlalchemy_url: str) -> str | None:
    """The libpq URL to LISTEN on for a PostgreSQL store; None for any other."""
    url = make_url(sqlalchemy_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
