"""Trained networks as safetensors files: the weights, the scaling the trainer fitted,
and the job spec in the metadata, so a file rebuilds the same model (never pickle)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from api_schemas import JobCreate, TaskType
from workers.trainers.network_config import NetworkConfig
from workers.trainers.network_trainer import NetworkTrainer

FORMAT = "regulab-network-1"


def save_network(trainer: NetworkTrainer, spec: JobCreate, *, regularized: bool = True) -> bytes:
    tensors = {
        f"model.{k}": v.detach().cpu().contiguous() for k, v in trainer.model_.state_dict().items()
    }
    tensors["scaling.x_mean"] = torch.as_tensor(np.atleast_1d(trainer.x_mean_))
    tensors["scaling.x_scale"] = torch.as_tensor(np.atleast_1d(trainer.x_scale_))
    metadata = {
        "format": FORMAT,
        "spec": spec.model_dump_json(),
        "regularized": json.dumps(regularized),
        "task": trainer.task,
        "image_shape": json.dumps(trainer.image_shape),
        "n_features": str(trainer.n_features_),
    }
    if trainer.task == "classification":
        metadata["classes"] = json.dumps(trainer.classes_.tolist())
    else:
        metadata["y_scaling"] = json.dumps([trainer.y_mean_, trainer.y_scale_])
    return save_tensors(tensors, metadata=metadata)


def read_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file: an 8-byte little-endian header size,
    then the JSON header."""
    size = int.from_bytes(data[:8], "little")
    header: dict[str, Any] = json.loads(data[8 : 8 + size])
    metadata: dict[str, str] = header.get("__metadata__", {})
    return metadata


def load_network(data: bytes) -> NetworkTrainer:
    """Rebuild the trained network (on the CPU) from a file written by ``save_network``."""
    metadata = read_metadata(data)
    if metadata.get("format") != FORMAT:
        raise ValueError("not a regulab network file")
    tensors = load_tensors(data)
    spec = JobCreate.model_validate_json(metadata["spec"])
    config = NetworkConfig.from_spec(spec, regularized=json.loads(metadata["regularized"]))
    shape = json.loads(metadata["image_shape"])
    task: TaskType = "classification" if metadata["task"] == "classification" else "regression"
    trainer = NetworkTrainer(config, task, tuple(shape) if shape else None)
    trainer.device_ = torch.device("cpu")
    trainer.n_features_ = int(metadata["n_features"])
    trainer.x_mean_ = tensors["scaling.x_mean"].numpy()
    trainer.x_scale_ = tensors["scaling.x_scale"].numpy()
    if task == "classification":
        trainer.classes_ = np.asarray(json.loads(metadata["classes"]))
    else:
        trainer.y_mean_, trainer.y_scale_ = json.loads(metadata["y_scaling"])
    trainer.model_ = trainer.build_model()
    trainer.model_.load_state_dict(
        {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    )
    trainer.model_.eval()
    return trainer
