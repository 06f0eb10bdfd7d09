"""The PyTorch trainer: learning, each regularizer's effect, early stopping, saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from api_schemas import DataAugmentation, JobCreate
from workers.data.datasets import load_dataset
from workers.data.splits import split_dataset
from workers.jobs.network import validation_split
from workers.jobs.train import train
from workers.trainers.augmentation import augment_images
from workers.trainers.network_config import NetworkConfig
from workers.trainers.network_io import load_network, save_network
from workers.trainers.network_trainer import NetworkTrainer, TrainingDivergedError
from workers.trainers.torch_device import DeviceUnavailableError, resolve_device

FAST_CNN = {"dataset": {"name": "digits"}, "model": {"kind": "cnn", "channels": [8, 16], "fc": 32}}


def spec(base: dict[str, Any] = FAST_CNN, **changes: Any) -> JobCreate:
    return JobCreate.model_validate({**base, **changes})


def fit(job: JobCreate, *, regularized: bool = True) -> tuple[NetworkTrainer, Any]:
    dataset = load_dataset(job.dataset, Path())
    data = split_dataset(dataset, job)
    assert job.training is not None
    X_fit, X_val, y_fit, y_val = validation_split(data, job.training, dataset.task)
    config = NetworkConfig.from_spec(job, regularized=regularized)
    trainer = NetworkTrainer(config, dataset.task, dataset.image_shape)
    return trainer.fit(X_fit, y_fit, X_val, y_val), data


def test_a_cnn_learns_digits_in_a_few_cpu_seconds() -> None:
    article_cnn = {"dataset": {"name": "digits"}, "model": {"kind": "cnn"}}
    job = spec(article_cnn, training={"epochs": 8}, regularizers=[{"kind": "dropout"}])
    out = train(job, Path())
    assert out.summary.metrics.test is not None
    assert out.summary.metrics.test.accuracy >= 0.9  # type: ignore[union-attr]
    network = out.summary.network
    assert network is not None and network.device == "cpu" and network.epochs_run == 8
    assert out.summary.baseline is not None and out.summary.baseline.network is not None
    assert "model.safetensors" in {f.name for f in out.files}
    figures = {f.name for f in out.figures}
    assert figures == {"learning_curves.png", "weight_histogram.png", "confusion_matrix.png"}


def test_the_same_seed_gives_the_same_network_on_cpu() -> None:
    job = spec(training={"epochs": 2, "seed": 3})
    first, _ = fit(job)
    second, _ = fit(job)
    assert first.history_[-1]["train_loss"] == second.history_[-1]["train_loss"]
    for a, b in zip(first.model_.parameters(), second.model_.parameters(), strict=True):
        assert torch.equal(a, b)


def test_early_stopping_stops_and_restores_the_best_weights() -> None:
    # No epoch can improve validation loss by 10: training must stop after patience.
    job = spec(
        training={"epochs": 30},
        regularizers=[{"kind": "early_stopping", "patience": 2, "min_delta": 10.0}],
    )
    trainer, _ = fit(job)
    assert trainer.stopped_early_ and len(trainer.history_) == 3
    assert trainer.best_epoch_ == 1 and trainer.restored_best_
    X_val = split_dataset(load_dataset(job.dataset, Path()), job).X_train[:50]
    restored = trainer.predict_proba(X_val)
    assert np.allclose(restored.sum(1), 1)
    # The restored weights score the validation loss of epoch 1, not of epoch 3.
    dataset = load_dataset(job.dataset, Path())
    data = split_dataset(dataset, job)
    assert job.training is not None
    _, X_v, _, y_v = validation_split(data, job.training, dataset.task)
    assert X_v is not None and y_v is not None
    val_loss = trainer._validation(X_v, y_v)["val_loss"]
    assert val_loss == pytest.approx(trainer.history_[0]["val_loss"], rel=1e-5)


def test_dropout_changes_train_mode_outputs_but_not_eval_mode() -> None:
    trainer, data = fit(spec(training={"epochs": 1}, regularizers=[{"kind": "dropout"}]))
    inputs = trainer._inputs(data.X_test[:32])
    trainer.model_.train()
    assert not torch.equal(trainer.model_(inputs), trainer.model_(inputs))
    trainer.model_.eval()
    with torch.no_grad():
        assert torch.equal(trainer.model_(inputs), trainer.model_(inputs))


@pytest.mark.parametrize(
    "regularizer",
    [
        {"kind": "weight_decay", "alpha": 0.5, "decoupled": True},
        {"kind": "weight_decay", "alpha": 0.05, "decoupled": False},
        {"kind": "l2", "alpha": 0.01},
    ],
)
def test_weight_decay_and_l2_shrink_the_weights(regularizer: dict[str, Any]) -> None:
    job = spec(training={"epochs": 4}, regularizers=[regularizer])
    shrunk, _ = fit(job)
    plain, _ = fit(job, regularized=False)
    assert shrunk.history_[-1]["weight_l2"] < 0.9 * plain.history_[-1]["weight_l2"]


def test_l1_makes_more_weights_near_zero() -> None:
    job = spec(training={"epochs": 4}, regularizers=[{"kind": "l1", "alpha": 0.0005}])
    sparse, _ = fit(job)
    plain, _ = fit(job, regularized=False)
    assert sparse.history_[-1]["near_zero_fraction"] > 2 * plain.history_[-1]["near_zero_fraction"]


def test_batch_norm_adds_the_layers() -> None:
    trainer, _ = fit(spec(training={"epochs": 1}, regularizers=[{"kind": "batch_norm"}]))
    kinds = [type(m) for m in trainer.model_.modules()]
    assert kinds.count(nn.BatchNorm2d) == 2 and kinds.count(nn.BatchNorm1d) == 1
    mlp = JobCreate.model_validate(
        {"dataset": {"name": "diabetes"}, "model": {"kind": "mlp", "hidden": [8, 8]},
         "regularizers": [{"kind": "batch_norm"}], "training": {"epochs": 1}}
    )  # fmt: skip
    trainer, _ = fit(mlp)
    assert [type(m) for m in trainer.model_.modules()].count(nn.BatchNorm1d) == 2


def test_augmentation_changes_training_batches_but_not_evaluation() -> None:
    augmentation = DataAugmentation(crop_padding=2, flip_probability=0.5, rotation_degrees=15)
    images = torch.rand(16, 1, 8, 8)
    generator = torch.Generator().manual_seed(0)
    changed = augment_images(images, augmentation, generator)
    assert changed.shape == images.shape and not torch.equal(changed, images)
    job = spec(training={"epochs": 1}, regularizers=[augmentation.model_dump()])
    trainer, data = fit(job)
    assert np.array_equal(trainer.predict_proba(data.X_test), trainer.predict_proba(data.X_test))


def test_safetensors_file_loads_back_and_predicts_the_same() -> None:
    job = spec(training={"epochs": 1}, regularizers=[{"kind": "dropout"}])
    trainer, data = fit(job)
    loaded = load_network(save_network(trainer, job))
    assert np.allclose(loaded.predict_proba(data.X_test), trainer.predict_proba(data.X_test))
    assert np.array_equal(loaded.predict(data.X_test), trainer.predict(data.X_test))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a worker without a GPU")
def test_asking_for_cuda_without_a_gpu_fails_clearly() -> None:
    with pytest.raises(DeviceUnavailableError, match="no usable GPU"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_trains_on_the_gpu_where_there_is_one() -> None:
    trainer, data = fit(spec(training={"epochs": 2, "device": "cuda"}))
    assert trainer.device_.type == "cuda"
    assert (trainer.predict(data.X_test) == data.y_test).mean() > 0.5


def test_importing_the_worker_does_not_touch_cuda() -> None:
    """A GPU worker may fork (or be a solo pool): CUDA must not start at import."""
    import subprocess
    import sys

    code = "import torch, workers.runtime.celery_app; print(torch.cuda.is_initialized())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_diverging_network_stops_with_a_reason_instead_of_nan_metrics() -> None:
    job = spec(
        {"dataset": {"name": "diabetes"}, "model": {"kind": "mlp", "hidden": [64, 64]}},
        training={"lr": 10, "momentum": 0.99, "epochs": 5},
    )
    with pytest.raises(TrainingDivergedError, match=r"lower training\.lr"):
        fit(job)
