"""The JSON Schemas (2020-12) of the content files, and how files are checked against them.

Two validators per schema, on purpose:

* a compiled one (fastjsonschema) answers "is this file valid?" for the 99 % of files that
  are, at ~12 µs per post instead of ~180 µs;
* jsonschema, the reference implementation, runs only on files that fail, and produces every
  error with its path, which we turn into messages a community manager understands.

The schemas only use keywords whose meaning is the same in draft-07 and 2020-12, so the fast
validator (which implements draft-07) and the reference one agree; a test checks that they
agree on every example file.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_NAMES = ("post", "campaign", "channels", "pause", "rules", "listening", "reply",
                "analytics")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema shipped in the package (``schemas/NAME.schema.json``)."""
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def _fast(name: str) -> Callable[[Any], Any]:
    import fastjsonschema

    schema = copy.deepcopy(load_schema(name))  # fastjsonschema rewrites $refs in place
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(schema)


@cache
def _reference(name: str) -> Any:
    import jsonschema  # only files that fail need it; importing it costs ~45 ms

    return jsonschema.Draft202012Validator(load_schema(name))


def is_valid(name: str, data: Any) -> bool:
    from fastjsonschema import JsonSchemaException

    try:
        _fast(name)(data)
    except JsonSchemaException:
        return False
    return True


@dataclass(frozen=True, slots=True)
class SchemaError:
    path: tuple[str | int, ...]
    message: str
    rule: str
    at_key: bool = False
    expected_string: bool = False
    """The schema wanted text and got a number/boolean/null (``text: yes``, ``version: 1.10``):
    the loader may retry with the scalar exactly as written."""


_TYPE_NAMES = {"string": "text", "array": "a list", "object": "a mapping of fields",
               "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "null": "empty"}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing (empty)"


def _describe_type(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_NAMES.get(str(n), str(n)) for n in names)


_PYTHON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str), "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list), "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None}


def _leaf_errors(error: Any) -> Iterator[Any]:
    """For anyOf/oneOf, the most relevant sub-error is more useful than "not valid under any":
    taken from the branches of the value's own type (a bad URL in ``link: javascript:…`` is a
    bad URL, not "should be a mapping")."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        branches = error.validator_value

        def fits(sub: Any) -> bool:
            branch = branches[sub.relative_schema_path[0]]
            kind = branch.get("type") if isinstance(branch, dict) else None
            check = _PYTHON_TYPES.get(kind) if isinstance(kind, str) else None
            return check is None or check(error.instance)

        best = best_match([e for e in error.context if fits(e)] or error.context)
        yield best
    else:
        yield error


def _sensitive(path: tuple[str | int, ...]) -> bool:
    return "secrets" in path


def detailed_errors(name: str, data: Any) -> list[SchemaError]:
    """Every schema error in ``data``, with friendly messages. Values under ``secrets`` are
    never quoted back: a pasted token must not end up in a CI log."""
    out: dict[tuple[tuple[str | int, ...], str], SchemaError] = {}
    for raw in _reference(name).iter_errors(data):
        for err in _leaf_errors(raw):
            for item in _translate(err):
                out.setdefault((item.path, item.message), item)
    return sorted(out.values(), key=lambda e: [str(p) for p in e.path])


def _translate(err: Any) -> Iterator[SchemaError]:
    path = tuple(err.absolute_path)
    field = str(path[-1]) if path else "file"
    value = err.instance
    secret = _sensitive(path)
    validator = err.validator
    if validator == "required":
        missing = [k for k in err.validator_value if k not in (value or {})]
        for key in missing:
            yield SchemaError(path, f"missing required field '{key}'", "schema.required")
    elif validator == "additionalProperties" and isinstance(value, dict):
        known = sorted(err.schema.get("properties", {}))
        unknown = 0
        for key in value:
            if key in known:
                continue
            unknown += 1  # past the shown ones (see cmops.problems.cap), no suggestion
            hint = difflib.get_close_matches(str(key), known, n=1) if unknown <= 20 else []
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            yield SchemaError((*path, key), f"unknown field '{key}'{suggestion}; known fields: "
                              f"{', '.join(known)}", "schema.unknown-field", at_key=True)
    elif validator == "type":
        expected = err.validator_value
        yield SchemaError(path, f"{field} should be {_describe_type(expected)}, "
                          f"not {_kind(value)}", "schema.type",
                          expected_string=expected == "string"
                          and (value is None or isinstance(value, bool | int | float)))
    elif validator == "enum":
        choices = [str(v) for v in err.validator_value]
        allowed = ", ".join(choices)
        shown = "this value" if secret else repr(value)
        hint = difflib.get_close_matches(str(value), choices, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        yield SchemaError(path, f"{shown} is not allowed for {field}{suggestion}; "
                          f"choose one of: {allowed}", "schema.enum")
    elif validator == "pattern":
        description = err.schema.get("description", "")
        shown = "this value" if secret else repr(value)
        yield SchemaError(path, f"{shown} is not a valid {field}"
                          + (f": {description}" if description else ""), "schema.format")
    elif validator in ("minItems", "minLength", "minProperties"):
        yield SchemaError(path, f"{field} must not be empty", "schema.empty")
    elif validator == "uniqueItems":
        yield SchemaError(path, f"{field} lists the same item twice", "schema.duplicate-item")
    elif validator == "propertyNames":
        yield SchemaError(path, f"{field}: {err.message}", "schema.name")
    elif validator == "minimum":
        yield SchemaError(path, f"{field} must be at least {err.validator_value}",
                          "schema.range")
    elif validator == "maximum":
        yield SchemaError(path, f"{field} must be at most {err.validator_value}",
                          "schema.range")
    elif validator == "maxItems" and isinstance(value, list):
        yield SchemaError(path, f"{field} has {len(value)} items; at most "
                          f"{err.validator_value} are allowed", "schema.too-many")
    else:
        message = "invalid value" if secret else err.message
        yield SchemaError(path, f"{field}: {message}", f"schema.{validator}")
