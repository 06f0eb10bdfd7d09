"""kombu's filesystem transport with messages that appear whole, and a worker that stops
when it is asked to.

kombu writes a message by opening ``<name>.<queue>.msg`` and then writing it under an
advisory lock that readers never take: a worker polling at that moment moves the still
empty file away, fails to decode it and the message is lost (a writer in one process and
a reader in another lost 885 of 3,000 messages; see tests/service/test_filesystem_broker.py).
Here a message is written under a name no reader picks up and renamed into place,
which POSIX makes atomic: a reader sees the whole message or nothing.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps

#: Readers take only names of the form ``<stamp>_<uuid>.<queue>.msg``; a name that
#: starts with a dot has an empty stamp and a different suffix, so none is taken early.
PARTIAL_PREFIX = ".partial-"


class Channel(filesystem.Channel):
    # kombu names the argument payload here and message in its base class.
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = self.data_folder_out
        partial = os.path.join(folder, f"{PARTIAL_PREFIX}{name}")
        try:
            text: str = dumps(payload)  # type: ignore[no-untyped-call]
            with open(partial, "wb") as f:
                f.write(text.encode())
            os.replace(partial, os.path.join(folder, name))
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    """The transport, with drain_events waits of at most ``MAX_DRAIN_SECONDS``.

    Celery's blocking loop (this transport has no event loop of its own) waits up to 2 s
    in each drain_events and runs one more such wait after a warm shutdown is asked for,
    so a stopping worker sat up to 4 s in an idle poll. Shorter waits let it stop as soon
    as it is asked; the queue is polled every ``polling_interval`` either way.
    """

    Channel = Channel
    MAX_DRAIN_SECONDS = 0.25

    # kombu's base class takes **kwargs here, its virtual transport a timeout.
    def drain_events(  # type: ignore[override]
        self, connection: Any, timeout: float | None = None
    ) -> Any:
        if timeout is not None:
            timeout = min(timeout, self.MAX_DRAIN_SECONDS)
        return super().drain_events(connection, timeout=timeout)  # type: ignore[no-untyped-call]


#: What Celery's ``broker_transport`` names for a ``filesystem://`` broker URL.
TRANSPORT = f"{__name__}:Transport"
