from __future__ import annotations

import pytest

from service.datasets.catalog import BUILTIN_DATASETS, DatasetParamError


def test_defaults_fill_in_and_whole_floats_become_ints() -> None:
    params = BUILTIN_DATASETS["seed_linear"].resolve_params({"n_samples": 20.0})
    assert params == {"n_samples": 20, "noise": 0.3, "slope": 3.0, "seed": 0}
    assert isinstance(params["n_samples"], int)


@pytest.mark.parametrize(
    ("name", "params", "param"),
    [
        ("seed_linear", {"n_samples": 2.5}, "n_samples"),
        ("seed_linear", {"n_samples": 1}, "n_samples"),
        ("iris", {"seed": 1}, "seed"),
        ("sparse_regression", {"n_features": 3, "n_informative": 4}, "n_informative"),
        ("classification", {"n_classes": 5, "n_informative": 2}, "n_classes"),
        ("sparse_regression", {"n_samples": 1_000_000, "n_features": 100_000}, "n_samples"),
    ],
)
def test_bad_params_name_the_parameter(name: str, params: dict[str, float], param: str) -> None:
    with pytest.raises(DatasetParamError) as caught:
        BUILTIN_DATASETS[name].resolve_params(params)
    assert caught.value.param == param
