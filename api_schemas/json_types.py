"""Request values of the JSON types their schema states.

pydantic's lax mode takes ``"1"`` for 1, ``0`` for false and ``true`` for 1.0, none of
which a request's JSON schema allows; its strict mode also refuses ``1.0`` for an
integer, which JSON Schema allows. ``json_types_only`` makes booleans and numbers strict
in a model's core schema, and lets an integer field take a float with no fraction.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import CoreSchema, core_schema

#: Keys of a core schema whose values are not schemas to walk (values, callables, options).
_NOT_SCHEMAS = frozenset(
    {"metadata", "serialization", "ref", "cls", "config", "default", "function", "expected"}
)


def json_types_only(schema: CoreSchema) -> CoreSchema:
    walked: CoreSchema = _walk(schema)
    return walked


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(item) for item in node]
    if isinstance(node, tuple):
        return tuple(_walk(item) for item in node)
    if not isinstance(node, dict):
        return node
    walked = {key: value if key in _NOT_SCHEMAS else _walk(value) for key, value in node.items()}
    kind = walked.get("type")
    if kind in {"bool", "float"}:
        walked["strict"] = True
    elif kind == "int" and not walked.get("strict"):
        walked["strict"] = True
        return core_schema.no_info_before_validator_function(_integral, walked)
    return walked


def _integral(value: Any) -> Any:
    """1.0 as 1: JSON Schema's integer is any number without a fraction."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
