"""A job's files as downloads: a stored file is answered (``service.api.downloads``);
a figure not drawn yet is asked
for (``service.jobs.figures``) and the route waits a moment for it
(``REGULAB_FIGURE_WAIT_SECONDS``) before answering 202 with ``Retry-After``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from api_schemas import ArtifactRef
from service.artifacts import StoredFile
from service.jobs.figures import FAILED, READY, FigureStore, needs_asking
from service.jobs.service import JobNotFoundError, artifact_ref, job_url
from service.jobs.store import JobStore

log = logging.getLogger(__name__)

#: How often a download waiting for its figure looks at the store again.
POLL_SECONDS = 0.05
#: Sends the message that draws one figure: (job id, figure name).
FigurePublisher = Callable[[str, str], None]


class FigureFailedError(RuntimeError):
    """The figure could not be drawn (409); its job is still succeeded."""


@dataclass(frozen=True)
class Drawing:
    """The figure is being drawn; ``artifact`` says so (``state`` pending)."""

    artifact: ArtifactRef


@dataclass(frozen=True)
class JobArtifacts:
    store: JobStore
    figures: FigureStore
    publish: FigurePublisher

    async def fetch(self, job_id: str, name: str, owner: str, wait: float) -> StoredFile | Drawing:
        """``open``, again every ``POLL_SECONDS`` while the figure is being drawn, for at
        most ``wait`` seconds (each try on the threadpool: the store is synchronous)."""
        deadline = time.monotonic() + wait
        while True:
            answer = await anyio.to_thread.run_sync(self.open, job_id, name, owner)
            if isinstance(answer, StoredFile) or time.monotonic() >= deadline:
                return answer
            await anyio.sleep(POLL_SECONDS)

    def open(self, job_id: str, name: str, owner: str) -> StoredFile | Drawing:
        """The file to send, or, for a figure not drawn yet, that it is being drawn
        (the first call to find it ``available`` sends it to a worker)."""
        artifact = self.store.get_artifact(job_id, name, owner)
        if artifact is None:
            raise JobNotFoundError(f"{job_id}/{name}")
        if artifact.state == READY:
            return StoredFile(artifact.key, artifact.media_type)
        if artifact.state == FAILED:
            raise FigureFailedError(f"{name} of job {job_id} could not be drawn: {artifact.error}")
        if needs_asking(artifact.state, artifact.requested_at) and self.figures.ask(job_id, name):
            try:
                self.publish(job_id, name)
            except Exception as exc:
                # Still pending: a request after figures.ASK_AGAIN_SECONDS asks again.
                log.warning("asking for figure %s of job %s failed (%s)", name, job_id, exc)
        ref = artifact_ref(artifact, job_url(job_id))
        return Drawing(ref.model_copy(update={"state": "pending"}))
