"""A trial's result crosses the store as JSON: what the runner writes is what the
aggregation reads back, and a result of the wrong kind is refused by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api_schemas.sweeps import SWEEP_SPEC
from workers.progress import StepCallbacks
from workers.sweeps.folds import DataSources
from workers.sweeps.results import (
    TRIAL_RESULTS,
    ComparisonFoldResult,
    FullPathResult,
    PathFoldResult,
    of_kind,
)
from workers.sweeps.trials import run_trial

BUILT_IN = DataSources(Path(), lambda base: None)  # built-in datasets only

IRIS_SWEEP: dict[str, Any] = {
    "kind": "sweep",
    "base": {
        "dataset": {"name": "iris"},
        "model": {"kind": "logistic_regression"},
        "regularizers": [{"kind": "l2", "alpha": 1.0}],
    },
    "grid": {"alpha": {"values": [0.1, 1.0, 10.0]}},
    "cv": {"folds": 3},
}


def through_the_store(result: Any) -> Any:
    """As the runner stores a trial's result and the aggregation reads it back."""
    stored = json.loads(json.dumps(result.model_dump(mode="json")))
    (read,) = TRIAL_RESULTS.validate_python([stored])
    return read


def test_a_fold_and_the_multiclass_path_on_every_row_read_back_equal() -> None:
    spec = SWEEP_SPEC.validate_python(IRIS_SWEEP)
    fold = run_trial(spec, 0, BUILT_IN, StepCallbacks())
    assert isinstance(fold, PathFoldResult) and through_the_store(fold) == fold
    full = run_trial(spec, 3, BUILT_IN, StepCallbacks())
    assert isinstance(full, FullPathResult)
    (path,) = full.paths
    # Three classes: an intercept per class at each alpha, a coefficient per class:feature.
    assert [len(i) for i in path.intercept] == [3, 3, 3]
    assert len(full.feature_names) == 3 * 4 and full.feature_names[0].startswith("setosa:")
    assert through_the_store(full) == full


def test_a_result_of_another_kind_is_refused_by_name() -> None:
    fold = ComparisonFoldResult(scores={"none": 0.5}, metric="mse", task="regression")
    path = PathFoldResult(alphas=[1.0], test_score=[0.5], train_score=[0.4], n_nonzero=[3])
    results = TRIAL_RESULTS.validate_python([fold.model_dump(mode="json")] * 2)
    assert of_kind(results, ComparisonFoldResult) == [fold, fold]
    with pytest.raises(TypeError, match=r"expected PathFoldResult .* got ComparisonFoldResult"):
        of_kind([path, *results], PathFoldResult)
    with pytest.raises(ValueError, match="kind"):
        TRIAL_RESULTS.validate_python([{"alphas": [1.0]}])  # no kind: not a trial's result
