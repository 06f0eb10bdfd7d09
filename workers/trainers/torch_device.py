"""Choosing the device. Nothing here runs at import: importing workers never touches CUDA."""

from __future__ import annotations

import torch

from api_schemas.training import Device


class DeviceUnavailableError(RuntimeError):
    pass


def resolve_device(requested: Device) -> torch.device:
    if requested == "cpu":
        return torch.device("cpu")
    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        raise DeviceUnavailableError(
            "the job asks for device cuda, but this worker has no usable GPU; route it to a "
            "GPU worker (regulab worker --queues gpu) or use device auto or cpu"
        )
    return torch.device("cuda") if available else torch.device("cpu")
