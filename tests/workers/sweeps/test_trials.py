"""A sweep's fold reports its steps to the job's callbacks, which can stop it mid-fold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from api_schemas.sweeps import SWEEP_SPEC
from workers.progress import Step, StepCallback, StopTrainingError
from workers.sweeps.folds import DataSources
from workers.sweeps.results import FullPathResult, L1RatioPathsResult, ValueFoldResult
from workers.sweeps.trials import run_trial

BUILT_IN = DataSources(Path(), lambda base: None)  # built-in datasets only

NETWORK_SWEEP = SWEEP_SPEC.validate_python(
    {
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
)


class StopAt(StepCallback):
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
    result = run_trial(NETWORK_SWEEP, 1, BUILT_IN, seen)
    assert isinstance(result, ValueFoldResult) and result.task == "classification"
    assert result.values == [0.5, 0.1] and len(result.test_score) == 2
    assert [s.name for s in seen.steps] == [
        *(f"rate=0.5: epoch {e}" for e in (1, 2, 3)),
        *(f"rate=0.1: epoch {e}" for e in (1, 2, 3)),
        "fold 1",
    ]
    assert all(s.total == 7 for s in seen.steps)

    stopping = StopAt(stop_at=2)
    with pytest.raises(StopTrainingError):
        run_trial(NETWORK_SWEEP, 1, BUILT_IN, stopping)
    assert len(stopping.steps) == 2  # the second epoch of the first network


def test_a_path_fold_reports_each_l1_ratio() -> None:
    sweep = SWEEP_SPEC.validate_python(
        {
            "kind": "sweep",
            "base": {
                "dataset": {"name": "diabetes"},
                "model": {"kind": "linear_regression"},
                "regularizers": [{"kind": "elastic_net", "alpha": 1.0}],
            },
            "grid": {"alpha": {"logspace": [-3, 0, 5]}, "l1_ratio": {"values": [0.3, 0.7]}},
        }
    )
    seen = StopAt()
    result = run_trial(sweep, 0, BUILT_IN, seen)
    assert isinstance(result, L1RatioPathsResult)
    assert result.l1_ratios == [0.3, 0.7] and len(result.paths) == 2
    assert [s.name for s in seen.steps] == [
        "path at l1_ratio=0.3",
        "path at l1_ratio=0.7",
        "fold 0",
    ]


def test_the_last_task_of_a_path_sweep_fits_every_row_at_each_l1_ratio() -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import enet_path

    sweep = SWEEP_SPEC.validate_python(
        {
            "kind": "sweep",
            "base": {
                "dataset": {"name": "diabetes"},
                "model": {"kind": "linear_regression"},
                "regularizers": [{"kind": "elastic_net", "alpha": 1.0}],
            },
            "grid": {"alpha": {"values": [0.01, 1.0, 0.1]}, "l1_ratio": {"values": [0.3, 0.7]}},
            "cv": {"folds": 3},
        }
    )
    seen = StopAt()
    full = run_trial(sweep, 3, BUILT_IN, seen)  # folds 0-2 are the CV folds
    assert [s.name for s in seen.steps][-1] == "fold 3"
    assert isinstance(full, FullPathResult) and full.alphas == [1.0, 0.1, 0.01]
    X, y = load_diabetes(return_X_y=True)
    assert full.feature_names == load_diabetes().feature_names
    for path, ratio in zip(full.paths, [0.3, 0.7], strict=True):
        _, coefs, _ = enet_path(X - X.mean(0), y - y.mean(), l1_ratio=ratio, alphas=full.alphas)
        assert path.l1_ratio == ratio
        assert np.allclose(np.asarray(path.coef).T, coefs)
