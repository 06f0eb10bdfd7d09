"""A sweep's fold reports its steps to the job's callbacks, which can stop it mid-fold."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.callbacks import Step, StopTrainingError, TrainingCallback
from workers.sweeps.folds import DataSources
from workers.sweeps.runs import run_fold

BUILT_IN = DataSources(Path(), lambda base: None)  # built-in datasets only

NETWORK_SWEEP = {
    "kind": "sweep",
    "base": {
        "dataset": {"name": "digits"},
        "model": {"kind": "mlp", "hidden": [16]},
        "regularizers": [{"kind": "dropout", "rate": 0.5}],
        "training": {"epochs": 3},
    },
    "grid": {"rate": {"values": [0.1, 0.5]}},
    "cv": {"folds": 3},
}


class StopAt(TrainingCallback):
    """Records the steps; asks to stop (as a cancel request would) at step ``stop_at``."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.steps: list[Step] = []
        self.stop_at = stop_at

    def on_step_end(self, step: Step) -> None:
        self.steps.append(step)
        if step.index == self.stop_at:
            raise StopTrainingError("cancel")


def test_a_network_fold_is_a_checkpoint_per_epoch_and_stops_between_epochs() -> None:
    seen = StopAt()
    result = run_fold(NETWORK_SWEEP, 1, BUILT_IN, seen)
    assert result["alphas"] == [0.5, 0.1] and len(result["test_score"]) == 2
    assert [s.name for s in seen.steps] == [
        *(f"rate=0.5: epoch {e}" for e in (1, 2, 3)),
        *(f"rate=0.1: epoch {e}" for e in (1, 2, 3)),
        "fold 1",
    ]
    assert all(s.total == 7 for s in seen.steps)

    stopping = StopAt(stop_at=2)
    with pytest.raises(StopTrainingError):
        run_fold(NETWORK_SWEEP, 1, BUILT_IN, stopping)
    assert len(stopping.steps) == 2  # the second epoch of the first network


def test_a_path_fold_reports_each_l1_ratio() -> None:
    sweep = {
        "kind": "sweep",
        "base": {
            "dataset": {"name": "diabetes"},
            "model": {"kind": "linear_regression"},
            "regularizers": [{"kind": "elastic_net", "alpha": 1.0}],
        },
        "grid": {"alpha": {"logspace": [-3, 0, 5]}, "l1_ratio": {"values": [0.3, 0.7]}},
    }
    seen = StopAt()
    result = run_fold(sweep, 0, BUILT_IN, seen)
    assert result["l1_ratios"] == [0.3, 0.7] and len(result["paths"]) == 2
    assert [s.name for s in seen.steps] == [
        "path at l1_ratio=0.3",
        "path at l1_ratio=0.7",
        "fold 0",
    ]
