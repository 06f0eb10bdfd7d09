"""What predicting with a job's model needs of its job, kept per API process.

A succeeded job never changes again: its model, input and classes are fixed, and the
only thing that can still happen to it is a delete. So a card, once read, stays right;
what goes stale is only "the job still exists", which is asked of the store again once
the card is older than ``trust_seconds``. A delete through this process forgets the card
at once; one through another API process is seen here within ``trust_seconds``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from api_schemas.predictions import ModelChoice, ModelInput


@dataclass(frozen=True)
class ModelCard:
    """What predicting with one succeeded job's model needs (it never changes)."""

    owner: str
    attempt: int
    task: str
    classes: list[str] | None
    input: ModelInput
    key: str


class ModelCards:
    """The ``capacity`` most recently used cards, by job and model, each with the time
    the store last said its job exists."""

    def __init__(self, capacity: int, trust_seconds: float) -> None:
        self.capacity, self.trust_seconds = capacity, trust_seconds
        self._cards: OrderedDict[tuple[str, ModelChoice], tuple[ModelCard, float]] = OrderedDict()
        self._lock = threading.Lock()

    def trusted(self, job_id: str, owner: str, model: ModelChoice) -> ModelCard | None:
        """The card if the store confirmed its job within ``trust_seconds`` (and it is
        ``owner``'s); None when the store must be asked."""
        with self._lock:
            entry = self._cards.get((job_id, model))
        if entry is None:
            return None
        card, checked = entry
        if card.owner != owner or time.monotonic() - checked >= self.trust_seconds:
            return None
        return card

    def get(self, job_id: str, model: ModelChoice) -> ModelCard | None:
        """The card, however old (the caller confirms the job with the store)."""
        with self._lock:
            entry = self._cards.get((job_id, model))
        return None if entry is None else entry[0]

    def put(self, job_id: str, model: ModelChoice, card: ModelCard) -> None:
        """Keep ``card``, just confirmed by the store."""
        with self._lock:
            self._cards[(job_id, model)] = (card, time.monotonic())
            self._cards.move_to_end((job_id, model))
            while len(self._cards) > self.capacity:
                self._cards.popitem(last=False)

    def forget(self, job_id: str) -> None:
        """The job is gone (deleted through this process)."""
        with self._lock:
            for model in ("regularized", "baseline"):
                self._cards.pop((job_id, model), None)

    def __len__(self) -> int:
        return len(self._cards)
