"""A trained network as a graph (``Core``), through torch's ONNX exporter.

The TorchScript exporter (``dynamo=False``) comes first: it exports these small
sequential networks exactly in 20-50 ms, where torch.export takes 2-5 s a network
(bench: an MLP [32, 16] on digits, 0.05 s against 4.7 s), a cost every network job and
the test suite would pay. torch.export is the fallback where the TorchScript exporter
is gone or fails; the export's check in onnxruntime holds both to the same numbers.

The graph holds what ``NetworkTrainer.predict`` and ``predict_proba`` do around the
network: the input scaling fitted on the training rows ((x - x_mean_) / x_scale_ in
double, then float32), and after it the softmax in double and the class of the largest
probability, or for a regression the target mapped back (y * y_scale_ + y_mean_ in
double). A CNN's input is [N, channels, height, width]."""

from __future__ import annotations

import copy
import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from workers.export.onnx_graphs import OPSET, Core, at_opset
from workers.trainers.network_trainer import NetworkTrainer

INPUT = "X"
EXAMPLE_ROWS = 2  # torch.export specializes a batch dimension of 0 or 1
#: The TorchScript exporter's highest opset is below OPSET; at_opset converts up.
TORCHSCRIPT_OPSET = 18

log = logging.getLogger(__name__)


class _Predict(nn.Module):
    """``NetworkTrainer.predict`` (and ``predict_proba``) as one module."""

    x_mean: torch.Tensor
    x_scale: torch.Tensor
    classes: torch.Tensor

    def __init__(self, trainer: NetworkTrainer) -> None:
        super().__init__()
        network = copy.deepcopy(trainer.model_).cpu().eval()
        self.network = network.to(memory_format=torch.contiguous_format)
        self.classifies = trainer.task == "classification"
        self.register_buffer("x_mean", torch.as_tensor(np.asarray(trainer.x_mean_, np.float64)))
        self.register_buffer("x_scale", torch.as_tensor(np.asarray(trainer.x_scale_, np.float64)))
        if self.classifies:
            self.register_buffer("classes", torch.as_tensor(trainer.classes_.astype(np.int64)))
        else:
            self.y_mean, self.y_scale = float(trainer.y_mean_), float(trainer.y_scale_)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        output = self.network(((x - self.x_mean) / self.x_scale).float())
        if self.classifies:
            probabilities = torch.softmax(output.double(), 1)
            return self.classes[probabilities.argmax(1)], probabilities
        return (output.squeeze(1).double() * self.y_scale + self.y_mean,)


def network_core(trainer: NetworkTrainer, input_shape: tuple[int, ...]) -> Core:
    """The graph of a trained network taking rows of ``input_shape`` (features, or
    channels x height x width)."""
    module = _Predict(trainer).eval()
    classifies = trainer.task == "classification"
    outputs = ["network_label", "network_probabilities"] if classifies else ["network_value"]
    example = torch.zeros((EXAMPLE_ROWS, *input_shape), dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes, not the job's
        try:
            model = _torchscript(module, example, outputs)
        except Exception:  # removed in a later torch, or an operator it lacks
            log.info("TorchScript export failed; using torch.export", exc_info=True)
            model = _torch_export(module, example, outputs)
    model = at_opset(model)
    if classifies:
        classes = trainer.classes_.astype(np.int64)
        return Core(model, INPUT, outputs[0], outputs[1], classes)
    return Core(model, INPUT, outputs[0])


def _torchscript(module: nn.Module, example: torch.Tensor, outputs: list[str]) -> onnx.ModelProto:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "network.onnx"
        torch.onnx.export(
            module,
            (example,),
            path,
            dynamo=False,
            input_names=[INPUT],
            output_names=outputs,
            dynamic_axes={INPUT: {0: "rows"}, **{name: {0: "rows"} for name in outputs}},
            opset_version=TORCHSCRIPT_OPSET,
        )
        return onnx.load(path)


def _torch_export(module: nn.Module, example: torch.Tensor, outputs: list[str]) -> onnx.ModelProto:
    program = torch.onnx.export(
        module,
        (example,),
        dynamo=True,
        input_names=[INPUT],
        output_names=outputs,
        dynamic_shapes=({0: torch.export.Dim("rows")},),
        opset_version=OPSET,
        optimize=False,
        verbose=False,
    )
    assert program is not None
    model: onnx.ModelProto = program.model_proto
    return model


def network_predictions(
    trainer: NetworkTrainer, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """What the exported graph must give on ``X`` (rows of the graph's input shape): the
    network's predictions on the CPU, where the graph runs (a GPU's kernels round
    differently), with the same arithmetic as ``predict``."""
    module = _Predict(trainer).eval()
    with torch.no_grad():
        outputs = module(torch.as_tensor(X, dtype=torch.float64))
    if len(outputs) == 2:
        return outputs[0].numpy(), outputs[1].numpy()
    return outputs[0].numpy(), None
