"""ModelCards: trusted while fresh, for its owner only; bounded; a delete forgets both models."""

from __future__ import annotations

import time

from api_schemas.predictions import ModelInput
from service.predictions.cards import ModelCard, ModelCards


def card(owner: str = "alice", key: str = "jobs/j/model.onnx") -> ModelCard:
    return ModelCard(owner, 1, "regression", None, ModelInput(kind="array", features=2), key)


def test_a_card_is_trusted_for_its_owner_until_it_is_older_than_the_trust() -> None:
    cards = ModelCards(capacity=8, trust_seconds=0.2)
    cards.put("j", "regularized", card())
    assert cards.trusted("j", "alice", "regularized") == card()
    assert cards.trusted("j", "mallory", "regularized") is None
    assert cards.trusted("j", "alice", "baseline") is None
    time.sleep(0.25)
    assert cards.trusted("j", "alice", "regularized") is None
    assert cards.get("j", "regularized") == card()  # kept, to be confirmed again
    cards.put("j", "regularized", card())
    assert cards.trusted("j", "alice", "regularized") == card()


def test_zero_trust_asks_every_time_and_a_delete_forgets_both_models() -> None:
    never = ModelCards(capacity=8, trust_seconds=0.0)
    never.put("j", "regularized", card())
    assert never.trusted("j", "alice", "regularized") is None
    cards = ModelCards(capacity=8, trust_seconds=60)
    cards.put("j", "regularized", card())
    cards.put("j", "baseline", card(key="jobs/j/baseline.onnx"))
    cards.forget("j")
    assert len(cards) == 0


def test_the_least_recently_confirmed_card_goes_first() -> None:
    cards = ModelCards(capacity=2, trust_seconds=60)
    for job in ("a", "b", "c"):
        cards.put(job, "regularized", card())
    assert cards.get("a", "regularized") is None
    assert cards.get("b", "regularized") and cards.get("c", "regularized")
