"""The registry's solver rules: the one table that job fits, sweep paths and validation
read (they were written three times before)."""

from __future__ import annotations

import pytest

from api_schemas.kinds import (
    MODELS,
    NETWORK_KINDS,
    PENALTY_KINDS,
    REGULARIZERS,
    STRENGTH_KINDS,
    UNPENALIZED_SOLVERS,
    first_solver,
    solver_penalties,
)


def test_what_each_logistic_solver_supports() -> None:
    assert {s: solver_penalties(s) for s in (*UNPENALIZED_SOLVERS, "liblinear")} == {
        "lbfgs": {"none", "l2"},
        "newton-cg": {"none", "l2"},
        "newton-cholesky": {"none", "l2"},
        "sag": {"none", "l2"},
        "saga": {"none", "l1", "l2", "elastic_net"},
        "liblinear": {"l1", "l2"},
    }


@pytest.mark.parametrize(
    ("penalty", "classes", "job", "path"),
    [
        ("l1", 2, "liblinear", "liblinear"),
        ("l1", 3, "saga", "saga"),
        ("l2", 2, "lbfgs", "liblinear"),
        ("l2", 3, "lbfgs", "lbfgs"),
        ("elastic_net", 2, "saga", "saga"),
        ("elastic_net", 3, "saga", "saga"),
    ],
)
def test_the_solver_a_job_and_a_path_choose(
    penalty: str, classes: int, job: str, path: str
) -> None:
    kind = REGULARIZERS[penalty]
    assert (kind.solver(classes), kind.solver(classes, path=True)) == (job, path)
    assert job in kind.solvers and path in kind.solvers


def test_without_a_penalty_a_job_uses_lbfgs() -> None:
    assert first_solver(UNPENALIZED_SOLVERS, 2) == first_solver(UNPENALIZED_SOLVERS, 5) == "lbfgs"


def test_the_constants_are_read_off_the_entries() -> None:
    assert {"l1", "l2", "elastic_net"} == PENALTY_KINDS
    assert PENALTY_KINDS | {"weight_decay"} == STRENGTH_KINDS
    assert {"mlp", "cnn"} == NETWORK_KINDS
    assert MODELS["poisson_regression"].regularizers == {"l2"}
    assert all(MODELS[k].regularizers == set(REGULARIZERS) for k in NETWORK_KINDS)
