"""Adding a regularizer or a model kind touches its schema class, its registry entry and
the trainer code that applies it, nothing else: no other module of the service names it.

A module names a kind when it holds the kind's name as a string (a docstring or an
OpenAPI example aside) or refers to its schema class. The registry
(``api_schemas/kinds.py``) is what every other module reads instead.
"""

from __future__ import annotations

import ast
import typing
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pytest
from pydantic import BaseModel

from api_schemas import ModelSpec, Regularizer
from api_schemas.kinds import MODELS, REGULARIZERS, ModelKind, RegularizerKind

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api_schemas", "service", "workers")
#: The registry, and the package's list of what it exports.
REGISTRY = {"api_schemas/kinds.py", "api_schemas/__init__.py"}
#: How the worker applies each kind: a Penalty per penalty kind, an estimator per model.
TRAINERS = "workers/trainers/"


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of every module, class and function."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _examples(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside ``examples=`` and ``json_schema_extra=`` arguments:
    documentation, as docstrings are."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in {"examples", "json_schema_extra"}:
            found |= {id(inner) for inner in ast.walk(node.value)}
    return found


@cache
def names_in(path: Path) -> frozenset[str]:
    """Every string constant (docstrings and examples aside) and every name a module
    refers to."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = _docstrings(tree) | _examples(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                names.add(node.value)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name)
            names.add(node.name.rsplit(".", 1)[-1])
    return frozenset(names)


def modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def naming(kind: str, schema: type[BaseModel]) -> set[str]:
    """The modules that name ``kind`` or its schema class, relative to the repository."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in modules()
        if kind in names_in(path) or schema.__name__ in names_in(path)
    }


def schema_module(schema: type[BaseModel]) -> str:
    return schema.__module__.replace(".", "/") + ".py"


ENTRIES = [(name, r.schema) for name, r in REGULARIZERS.items()] + [
    (name, m.schema) for name, m in MODELS.items()
]


@pytest.mark.parametrize(("kind", "schema"), ENTRIES, ids=[name for name, _ in ENTRIES])
def test_only_its_schema_the_registry_and_the_trainers_name_a_kind(
    kind: str, schema: type[BaseModel]
) -> None:
    allowed = {schema_module(schema), *REGISTRY}
    elsewhere = {m for m in naming(kind, schema) if m not in allowed and not m.startswith(TRAINERS)}
    assert elsewhere == set(), f"{kind} is named outside its schema, registry and trainers"


def test_the_scan_sees_names_strings_and_imports_but_not_docstrings(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text(
        '"""Mentions dropout in prose."""\n'
        "from api_schemas import L1 as Lasso\n"
        'def f(x):\n    """And batch_norm."""\n    return x.kind == "l2" or api.Dropout\n'
        'EXAMPLE = Field(examples=[{"kind": "mlp"}], json_schema_extra={"k": "cnn"})\n'
    )
    found = names_in(module)
    assert {"L1", "Lasso", "l2", "Dropout", "EXAMPLE", "Field"} <= found
    assert not {"dropout", "batch_norm", "mlp", "cnn"} & found
    # And it finds the registry's own mentions, so an empty result above means something.
    assert naming("elastic_net", REGULARIZERS["elastic_net"].schema) >= {
        "api_schemas/kinds.py",
        "api_schemas/regularizers.py",
        "workers/trainers/penalties.py",
    }


def _members(union: object) -> dict[str, type[BaseModel]]:
    """The classes of a discriminated union, by their ``kind``."""
    classes = typing.get_args(typing.get_args(union)[0])
    return {cls.model_fields["kind"].default: cls for cls in classes}


@pytest.mark.parametrize(
    ("union", "registry"),
    [(Regularizer, REGULARIZERS), (ModelSpec, MODELS)],
    ids=["regularizers", "models"],
)
def test_every_member_of_the_union_has_one_registry_entry(
    union: object, registry: Mapping[str, RegularizerKind | ModelKind]
) -> None:
    assert {kind: entry.schema for kind, entry in registry.items()} == _members(union)


def _kind_classes() -> set[str]:
    from workers.trainers.penalties import ElasticNetPenalty, L1Penalty, L2Penalty

    schemas = {schema.__name__ for _, schema in ENTRIES}
    return schemas | {c.__name__ for c in (L1Penalty, L2Penalty, ElasticNetPenalty)}


def _matches_over_kinds() -> list[tuple[str, ast.Match]]:
    kinds = _kind_classes()
    found = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Match):
                classes = {
                    sub.cls.id
                    for case in node.cases
                    for sub in ast.walk(case.pattern)
                    if isinstance(sub, ast.MatchClass) and isinstance(sub.cls, ast.Name)
                }
                if classes & kinds:
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def test_every_match_over_a_kind_ends_in_assert_never() -> None:
    matches = _matches_over_kinds()
    assert len(matches) >= 4  # penalties, network config, estimators, torch engine
    for where, match in matches:
        last = match.cases[-1]
        ends = (
            isinstance(last.pattern, ast.MatchAs)
            and last.pattern.pattern is None
            and any(
                isinstance(n, ast.Call) and getattr(n.func, "id", "") == "assert_never"
                for n in ast.walk(last.body[-1])
            )
        )
        assert ends, f"{where}: a match over kinds without `case _: assert_never(...)`"
