"""Callbacks of the network loop: what is not the loop itself (early stopping here;
persisting epochs and cancellation come from the job, ``workers.jobs.network``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import torch

from api_schemas import EarlyStopping

if TYPE_CHECKING:
    from workers.trainers.network_trainer import NetworkTrainer


class EpochCallback(Protocol):
    def on_epoch_end(
        self, trainer: NetworkTrainer, epoch: int, metrics: dict[str, Any]
    ) -> None: ...

    def on_fit_end(self, trainer: NetworkTrainer) -> None: ...


class EarlyStoppingCallback:
    """Watch a validation metric; ask the loop to stop after ``patience`` epochs without
    an improvement of ``min_delta``, and put the best epoch's weights back."""

    def __init__(self, spec: EarlyStopping) -> None:
        self.spec = spec
        self.higher_is_better = spec.monitor != "val_loss"
        self.best: float | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.waited = 0

    def on_epoch_end(self, trainer: NetworkTrainer, epoch: int, metrics: dict[str, Any]) -> None:
        value = float(metrics[self.spec.monitor])
        gain = (value - self.best) if self.best is not None else float("inf")
        if not self.higher_is_better:
            gain = -gain if self.best is not None else float("inf")
        if gain > self.spec.min_delta:
            self.best, self.waited = value, 0
            trainer.best_epoch_ = epoch
            if self.spec.restore_best:
                self.best_state = {
                    k: v.detach().clone() for k, v in trainer.model_.state_dict().items()
                }
        else:
            self.waited += 1
            if self.waited >= self.spec.patience:
                trainer.should_stop_ = True

    def on_fit_end(self, trainer: NetworkTrainer) -> None:
        if self.spec.restore_best and self.best_state is not None:
            trainer.model_.load_state_dict(self.best_state)
            trainer.restored_best_ = True
