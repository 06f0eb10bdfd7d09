"""Scoring in chunks: every chunk checkpoints (so a cancel stops it between chunks), the
files hold every row once, and a value the model cannot take names its row and column."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_allclose

from api_schemas import JobCreate
from tests.reference import article_data
from workers.data.splits import DataError
from workers.jobs.scoring import ScoringModel, score
from workers.jobs.train import train
from workers.progress import Step, StepCallback, StopTrainingError


class Recorder(StepCallback):
    def __init__(self, stop_after: int | None = None) -> None:
        self.steps: list[Step] = []
        self.stop_after = stop_after

    def on_step_end(self, step: Step) -> None:
        self.steps.append(step)
        if self.stop_after is not None and step.index >= self.stop_after:
            raise StopTrainingError("cancel")


@pytest.fixture(scope="module")
def lasso() -> tuple[ScoringModel, float, float]:
    """The article's Lasso on seed_linear, as the worker exports it."""
    spec = JobCreate.model_validate(
        {
            "dataset": {"name": "seed_linear"},
            "model": {"kind": "linear_regression"},
            "regularizers": [{"kind": "l1", "alpha": 0.2}],
        }
    )
    output = train(spec, Path())
    onnx = next(f.data for f in output.files if f.name == "model.onnx")
    export = output.summary.export
    assert export is not None
    coef = output.summary.coefficients
    model = ScoringModel(onnx, export.input, output.summary.task, None)
    return model, float(np.ravel(coef.coef)[0]), float(np.ravel(coef.intercept)[0])


def test_every_row_is_scored_once_in_chunks_each_a_checkpoint(
    lasso: tuple[ScoringModel, float, float],
) -> None:
    model, slope, intercept = lasso
    X, _ = article_data()
    table = pa.table({"x": X[:, 0], "y": np.zeros(len(X))})
    recorder = Recorder()
    output = score(model, table, "y", recorder, chunk_rows=30)
    assert [(s.index, s.total, s.data["rows"]) for s in recorder.steps] == [
        (1, 4, 30),
        (2, 4, 60),
        (3, 4, 90),
        (4, 4, 100),
    ]
    files = {f.name: f.data for f in output.files}
    scored = pq.read_table(io.BytesIO(files["predictions.parquet"]))
    assert scored.column("row").to_pylist() == list(range(100))
    assert_allclose(scored.column("prediction").to_numpy(), slope * X[:, 0] + intercept)
    assert files["predictions.csv"].splitlines()[0] == b'"row","prediction"'
    assert output.result.rows == 100


def test_a_cancel_stops_it_after_the_chunk_it_is_in(
    lasso: tuple[ScoringModel, float, float],
) -> None:
    model, *_ = lasso
    table = pa.table({"x": np.arange(100, dtype=float), "y": np.zeros(100)})
    recorder = Recorder(stop_after=1)
    with pytest.raises(StopTrainingError):
        score(model, table, "y", recorder, chunk_rows=10)
    assert len(recorder.steps) == 1


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ([0.0] * 41 + [None, 3.0], "row 41, column 'x': the value is missing"),
        ([0.0] * 41 + [float("inf"), 3.0], "row 41, column 'x': the value is not a finite"),
        (["a"] * 43, "column 'x' holds string; the model takes numbers"),
    ],
)
def test_a_value_the_model_cannot_take_names_its_row_and_column(
    lasso: tuple[ScoringModel, float, float], column: list[object], message: str
) -> None:
    model, *_ = lasso
    table = pa.table({"x": column, "y": np.zeros(len(column))})
    with pytest.raises(DataError, match=message):
        score(model, table, "y", Recorder(), chunk_rows=20)
