"""The networks: an MLP for tables and the article's CNN for images.

Where the regularizer layers go:
- dropout: after the activation of every hidden layer of an MLP; in the CNN, after
  the hidden fully connected layer only, as in the article (``nn.Dropout(0.5)``
  before the output layer);
- batch_norm: after every hidden Linear of an MLP (before its activation) and after
  every convolution and the hidden fully connected layer of the CNN.
"""

from __future__ import annotations

import torch
from torch import nn

from api_schemas import CNNSpec, MLPSpec

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def build_mlp(
    spec: MLPSpec, n_inputs: int, n_outputs: int, dropout: float, batch_norm: bool
) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = n_inputs
    for hidden in spec.hidden:
        layers.append(nn.Linear(width, hidden))
        if batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(ACTIVATIONS[spec.activation]())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def build_cnn(
    spec: CNNSpec,
    image_shape: tuple[int, int, int],
    n_classes: int,
    dropout: float,
    batch_norm: bool,
) -> nn.Sequential:
    channels, height, width = image_shape
    layers: list[nn.Module] = []
    for out in spec.channels:
        layers.append(nn.Conv2d(channels, out, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out))
        layers.append(nn.ReLU())
        if min(height, width) >= 2:  # the article pools after each convolution
            layers.append(nn.MaxPool2d(2, 2))
            height, width = height // 2, width // 2
        channels = out
    layers += [nn.Flatten(), nn.Linear(channels * height * width, spec.fc)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(spec.fc))
    layers.append(nn.ReLU())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(spec.fc, n_classes))
    return nn.Sequential(*layers)


def penalized_weights(model: nn.Module) -> list[torch.Tensor]:
    """Weights of Linear and Conv layers: what l1/l2/elastic_net and weight decay act on.
    Biases and normalization parameters are left alone."""
    return [
        module.weight for module in model.modules() if isinstance(module, nn.Linear | nn.Conv2d)
    ]
