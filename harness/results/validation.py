"""A row of the results file checked as data, field by field, against the schema.

The types are :class:`~harness.results.schema.ResultRow`'s and its measurements', read from
their annotations, plus :data:`~harness.results.schema.NESTED_FIELDS` within the free-form
records; beyond types, the times must be times with a zone and the test predictions must
decode. A field a row lacks is no problem here (a row of an earlier schema reads it as its
default), nor is a field the schema does not know.

>>> row_problem({"seed": "1"})
"seed is '1' (text), not a whole number"
>>> row_problem({"seed": 1, "status": "done"}) is None
True
"""

from __future__ import annotations

import types
import typing
import zlib
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from harness.errors import shortened
from harness.results.predictions import RowPredictions
from harness.results.schema import (
    NESTED_FIELDS,
    SHARE_FIELDS,
    TIME_FIELDS,
    Measurements,
    ResultRow,
)


def row_problem(raw: Mapping[str, Any]) -> str | None:
    """What is wrong with ``raw`` (a row as JSON gave it), in a few words; None if nothing."""
    for name, value in raw.items():
        hint = _hints(ResultRow).get(name)
        if hint is not None and (problem := _mismatch(value, hint, name)):
            return problem
    for path, hint in NESTED_FIELDS.items():
        found, value = _at(raw, path)
        if found and (problem := _mismatch(value, hint, path)):
            return problem
    for name in TIME_FIELDS:
        if name in raw and not _is_zoned_time(raw[name]):
            return f"{name} is {shortened(repr(raw[name]))}, not a time with its zone"
    counts = (raw.get("data") or {}).get("rows") or {}
    if any(count < 0 for count in counts.values()):
        return f"data.rows holds a negative count ({shortened(counts)})"
    measurements = raw.get("measurements") or {}
    for name in SHARE_FIELDS:
        share = measurements.get(name)
        if share is not None and not 0 <= share <= 1:
            return f"measurements.{name} is {shortened(share)}, not a share in [0, 1]"
    stored = measurements.get("test_predictions")
    if stored:
        try:
            RowPredictions.decode(stored)
        except (ValueError, TypeError, OverflowError, zlib.error) as error:
            return f"measurements.test_predictions do not decode ({shortened(error, 80)})"
    return None


@cache
def _hints(typed_dict: type) -> dict[str, Any]:
    return typing.get_type_hints(typed_dict)


def _mismatch(value: Any, hint: Any, path: str) -> str | None:
    """Why ``value`` is not of type ``hint`` (naming ``path``); None when it is."""
    if hint is Any:
        return None
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if any(_mismatch(value, arm, path) is None for arm in arguments):
            return None
        inner = [_mismatch(value, arm, path) for arm in arguments if _kind_fits(value, arm)]
        return inner[0] if inner else _wrong(value, hint, path)
    if origin is dict:
        if not isinstance(value, dict):
            return _wrong(value, hint, path)
        return next(
            (p for k, v in value.items() if (p := _mismatch(v, arguments[1], f"{path}.{k}"))),
            None,
        )
    if origin is list:
        if not isinstance(value, list):
            return _wrong(value, hint, path)
        return next(
            (p for i, v in enumerate(value) if (p := _mismatch(v, arguments[0], f"{path}[{i}]"))),
            None,
        )
    if typing.is_typeddict(hint):
        if not isinstance(value, dict):
            return _wrong(value, hint, path)
        required = set() if hint is Measurements else set(_hints(hint))  # older rows lack some
        missing = sorted(required - set(value))
        if missing:
            return f"{path} lacks {', '.join(missing)}"
        return next(
            (
                p
                for key, item in value.items()
                if key in _hints(hint)
                and (p := _mismatch(item, _hints(hint)[key], f"{path}.{key}"))
            ),
            None,
        )
    return None if _kind_fits(value, hint) else _wrong(value, hint, path)


def _kind_fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of the outer kind of ``hint`` (its items are checked apart)."""
    origin = typing.get_origin(hint) or hint
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if isinstance(origin, type) and issubclass(origin, Enum):
        return isinstance(value, str) and value in {member.value for member in origin}
    if origin is bool:
        return isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if typing.is_typeddict(origin):
        return isinstance(value, dict)
    return isinstance(origin, type) and isinstance(value, origin)


_KINDS = {
    type(None): "null", bool: "true or false", int: "a whole number", float: "a number",
    str: "text", dict: "an object", list: "a list",
}  # fmt: skip


def _described(hint: Any) -> str:
    origin = typing.get_origin(hint) or hint
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_described(arm) for arm in typing.get_args(hint))
    if isinstance(origin, type) and issubclass(origin, Enum):
        return "one of " + ", ".join(repr(member.value) for member in origin)
    if typing.is_typeddict(origin):
        return "an object"
    return _KINDS.get(origin, getattr(origin, "__name__", str(origin)))


def _wrong(value: Any, hint: Any, path: str) -> str:
    kind = _KINDS.get(type(value), type(value).__name__)
    return f"{path} is {shortened(repr(value))} ({kind}), not {_described(hint)}"


def _at(raw: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """(whether ``path``, dotted, is in ``raw``, and its value)."""
    value: Any = raw
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _is_zoned_time(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False
