"""What the export does when a file would be wrong or the job must stop."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from workers.export import export as export_module
from workers.export.export import check, export_models, pipeline
from workers.export.onnx_graphs import ExportError
from workers.export.preprocessing_graph import RawInput
from workers.progress import StopTrainingError

rng = np.random.default_rng(0)
X = rng.normal(size=(80, 3))
y = X @ [1.0, -2.0, 0.5] + rng.normal(0, 0.1, 80)
SOURCE = RawInput.of_arrays(3, None)


def test_a_file_that_does_not_predict_as_its_model_is_refused() -> None:
    fitted = Lasso(alpha=0.1).fit(X, y)
    other = Lasso(alpha=0.5).fit(X, y)
    graph = pipeline(fitted, SOURCE, 3, 0)
    check(graph, fitted, SOURCE, X, 0)  # its own model: no complaint
    with pytest.raises(ExportError, match="predictions differ from the model's by up to"):
        check(graph, other, SOURCE, X, 0)


def test_a_stop_request_inside_an_exporter_stops_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    # The time limit's alarm raises StopTrainingError wherever the job is; an exporter
    # that catches and wraps it must not turn it into a recorded problem.
    def alarm_inside_the_exporter(*args: object) -> None:
        try:
            raise StopTrainingError("time_limit")
        except StopTrainingError as exc:
            raise RuntimeError("export failed") from exc

    monkeypatch.setattr(export_module, "pipeline", alarm_inside_the_exporter)
    with pytest.raises(StopTrainingError):
        export_models({"regularized": Lasso(alpha=0.1).fit(X, y)}, SOURCE, X, 0)
