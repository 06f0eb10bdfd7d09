"""A PyTorch training loop with scikit-learn's contract.

``NetworkTrainer(config, ...)`` only stores; ``fit(X, y, X_val, y_val)`` trains and
returns self; learned attributes end in ``_``. Inputs are standardized on the
training rows (per feature for tables, one scale for images), as are regression
targets; predictions are mapped back. Everything that is not the loop itself —
early stopping, persisting epochs, cancellation — is a callback.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from api_schemas import CNNSpec, TaskType
from workers.trainers.augmentation import augment_images, augment_table
from workers.trainers.epoch_callbacks import EarlyStoppingCallback, EpochCallback
from workers.trainers.network_config import NetworkConfig
from workers.trainers.networks import build_cnn, build_mlp, penalized_weights
from workers.trainers.torch_device import resolve_device

NEAR_ZERO = 1e-3
EVAL_BATCH = 4096


class TrainingDivergedError(ArithmeticError):
    """The loss stopped being a number: the step size is too large for the data."""


class NetworkTrainer:
    def __init__(
        self,
        config: NetworkConfig,
        task: TaskType,
        image_shape: tuple[int, int, int] | None = None,
        callbacks: Sequence[EpochCallback] = (),
    ) -> None:
        self.config = config
        self.task = task
        self.image_shape = image_shape  # used by a CNN; an MLP sees the flat pixels
        self.callbacks = callbacks

    @property
    def _images(self) -> bool:
        return isinstance(self.config.model, CNNSpec)

    @property
    def _memory_format(self) -> torch.memory_format:
        # Channels-last convolutions run about a quarter faster on CPU (oneDNN) and
        # suit GPU kernels too (bench/README.md).
        return torch.channels_last if self._images else torch.contiguous_format

    # -- fitting --------------------------------------------------------------------

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> NetworkTrainer:
        cfg, training = self.config, self.config.training
        torch.manual_seed(training.seed)
        self.device_ = resolve_device(training.device)
        generator = torch.Generator(device=self.device_).manual_seed(training.seed)
        self._fit_scaling(X, y)
        inputs, targets = self._inputs(X), self._targets(y)
        self.n_features_ = X.shape[1]
        self.model_ = self.build_model().to(self.device_).to(memory_format=self._memory_format)
        self.n_parameters_ = sum(p.numel() for p in self.model_.parameters())
        weights = penalized_weights(self.model_)
        optimizer = self._optimizer()
        callbacks: list[EpochCallback] = []
        if cfg.early_stopping is not None and X_val is not None:
            callbacks.append(EarlyStoppingCallback(cfg.early_stopping))
        callbacks += list(self.callbacks)
        self.history_: list[dict[str, Any]] = []
        self.best_epoch_ = training.epochs
        self.stopped_early_ = self.should_stop_ = self.restored_best_ = False
        for epoch in range(1, training.epochs + 1):
            started = time.perf_counter()
            loss_sum, correct = self._run_epoch(inputs, targets, optimizer, weights, generator)
            n = len(targets)
            if not torch.isfinite(loss_sum):
                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch}: the training loss is "
                    f"{float(loss_sum) / n}; lower training.lr (it is {training.lr:g}), or "
                    "use a regularizer or batch_norm"
                )
            metrics: dict[str, Any] = {
                "epoch": epoch,
                "train_loss": float(loss_sum) / n,
                "lr": training.lr,
                **self._weight_stats(weights),
            }
            if self.task == "classification":
                metrics["train_accuracy"] = float(correct) / n
            if X_val is not None and y_val is not None and len(y_val):
                metrics.update(self._validation(X_val, y_val))
            metrics["seconds"] = time.perf_counter() - started
            self.history_.append(metrics)
            for callback in callbacks:
                callback.on_epoch_end(self, epoch, metrics)
            if self.should_stop_:
                self.stopped_early_ = epoch < training.epochs
                break
        for callback in callbacks:
            callback.on_fit_end(self)
        self.model_.eval()
        return self

    def _run_epoch(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        optimizer: torch.optim.Optimizer,
        weights: list[torch.Tensor],
        generator: torch.Generator,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass over the shuffled rows; sums stay on the device (no sync per batch)."""
        cfg, n = self.config, len(targets)
        self.model_.train()
        order = torch.randperm(n, generator=generator, device=self.device_)
        loss_sum = torch.zeros((), device=self.device_)
        correct = torch.zeros((), device=self.device_)
        for start in range(0, n, cfg.training.batch_size):
            index = order[start : start + cfg.training.batch_size]
            if len(index) < 2 and cfg.batch_norm:
                continue  # batch norm cannot normalise a single row
            batch = self._augment(inputs[index], generator).contiguous(
                memory_format=self._memory_format
            )
            target = targets[index]
            output = self.model_(batch)
            data_loss = self._loss(output, target)
            loss = data_loss + self._penalty(weights)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            self._decoupled_decay(weights)
            loss_sum += data_loss.detach() * len(index)
            if self.task == "classification":
                correct += (output.argmax(1) == target).sum()
        return loss_sum, correct

    def build_model(self) -> nn.Module:
        """The untrained network for the fitted input width and classes."""
        cfg = self.config
        outputs = len(self.classes_) if self.task == "classification" else 1
        if isinstance(cfg.model, CNNSpec):
            assert self.image_shape is not None
            return build_cnn(cfg.model, self.image_shape, outputs, cfg.dropout, cfg.batch_norm)
        return build_mlp(cfg.model, self.n_features_, outputs, cfg.dropout, cfg.batch_norm)

    def _optimizer(self) -> torch.optim.Optimizer:
        training = self.config.training
        params = self.model_.parameters()
        if training.optimizer == "sgd":
            return torch.optim.SGD(params, lr=training.lr, momentum=training.momentum)
        if training.optimizer == "adam":
            return torch.optim.Adam(params, lr=training.lr)
        # Decay comes only from a weight_decay regularizer, so a baseline stays unregularized.
        return torch.optim.AdamW(params, lr=training.lr, weight_decay=0.0)

    def _penalty(self, weights: list[torch.Tensor]) -> torch.Tensor | float:
        """The article's penalty terms, plus coupled weight decay, which is exactly an L2
        term (alpha/2)·‖w‖² (its gradient adds alpha·w)."""
        cfg = self.config
        total: torch.Tensor | float = 0.0
        if cfg.penalty is not None:
            total = cfg.penalty.network_term(weights)
        decay = cfg.weight_decay
        if decay is not None and not decay.decoupled:
            total = total + decay.alpha / 2 * sum(w.pow(2).sum() for w in weights)
        return total

    @torch.no_grad()
    def _decoupled_decay(self, weights: list[torch.Tensor]) -> None:
        decay = self.config.weight_decay
        if decay is not None and decay.decoupled:
            factor = 1 - self.config.training.lr * decay.alpha
            for w in weights:
                w.mul_(factor)

    def _augment(self, batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        spec = self.config.augmentation
        if spec is None:
            return batch
        if batch.dim() == 4:
            return augment_images(batch, spec, generator)
        return augment_table(batch, spec, generator)

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.task == "classification":
            return F.cross_entropy(output, target)
        return F.mse_loss(output.squeeze(1), target)

    @torch.no_grad()
    def _weight_stats(self, weights: list[torch.Tensor]) -> dict[str, float]:
        flat = torch.cat([w.detach().flatten() for w in weights])
        return {
            "weight_l1": float(flat.abs().sum()),
            "weight_l2": float(flat.pow(2).sum().sqrt()),
            "near_zero_fraction": float((flat.abs() < NEAR_ZERO).float().mean()),
        }

    @torch.no_grad()
    def _validation(self, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
        output = self._forward(X)
        target = self._targets(y)
        loss = float(self._loss(output, target))
        if self.task == "classification":
            accuracy = float((output.argmax(1) == target).float().mean())
            return {"val_loss": loss, "val_accuracy": accuracy}
        residual = float((output.squeeze(1) - target).pow(2).sum())
        spread = float((target - target.mean()).pow(2).sum()) or float("nan")
        return {"val_loss": loss, "val_r2": 1 - residual / spread}

    # -- scaling and prediction -----------------------------------------------------

    def _fit_scaling(self, X: np.ndarray, y: np.ndarray) -> None:
        self.x_mean_: np.ndarray
        self.x_scale_: np.ndarray
        if self._images:
            self.x_mean_ = np.asarray(X.mean(), dtype=np.float32)
            self.x_scale_ = np.asarray(X.std() or 1.0, dtype=np.float32)
        else:
            self.x_mean_ = X.mean(axis=0).astype(np.float32)
            self.x_scale_ = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0).astype(np.float32)
        if self.task == "classification":
            self.classes_ = np.unique(y)
        else:
            self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std() or 1.0)

    def _inputs(self, X: np.ndarray) -> torch.Tensor:
        scaled = ((X - self.x_mean_) / self.x_scale_).astype(np.float32)
        tensor = torch.from_numpy(scaled).to(self.device_)
        if self._images:
            assert self.image_shape is not None
            tensor = tensor.reshape(-1, *self.image_shape).contiguous(
                memory_format=torch.channels_last
            )
        return tensor

    def _targets(self, y: np.ndarray) -> torch.Tensor:
        if self.task == "classification":
            index = np.searchsorted(self.classes_, y)
            return torch.from_numpy(index.astype(np.int64)).to(self.device_)
        scaled = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)
        return torch.from_numpy(scaled).to(self.device_)

    @torch.no_grad()
    def _forward(self, X: np.ndarray) -> torch.Tensor:
        self.model_.eval()
        inputs = self._inputs(X)
        outputs = [
            self.model_(inputs[i : i + EVAL_BATCH]) for i in range(0, len(inputs), EVAL_BATCH)
        ]
        return torch.cat(outputs)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        proba: np.ndarray = torch.softmax(self._forward(X).double(), 1).cpu().numpy()
        return proba

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.task == "classification":
            predicted: np.ndarray = self.classes_[self.predict_proba(X).argmax(1)]
            return predicted
        output = self._forward(X).squeeze(1).double().cpu().numpy()
        values: np.ndarray = output * self.y_scale_ + self.y_mean_
        return values
