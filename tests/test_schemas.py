"""The schemas are a user-facing contract: documented, strict, and shipped identically."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cmops import schemas, yamlsafe

ROOT = Path(__file__).parent.parent


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            yield f"{where}.{key}", value
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _properties(item, f"{where}[{i}]")


@pytest.mark.parametrize("name", schemas.SCHEMA_NAMES)
def test_repo_copy_is_identical_to_packaged_schema(name: str) -> None:
    repo_copy = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text("utf-8"))
    assert repo_copy == schemas.load_schema(name)


@pytest.mark.parametrize("name", schemas.SCHEMA_NAMES)
def test_schema_is_documented_and_strict(name: str) -> None:
    schema = schemas.load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{name}.schema.json")
    assert schema["title"] and schema["description"]
    undocumented = [path for path, prop in _properties(schema) if "description" not in prop]
    assert undocumented == []
    assert schema["additionalProperties"] is False


def _example_data() -> Iterator[tuple[str, Any]]:
    for path in sorted(ROOT.glob("calendar/**/*.yaml")) + sorted(
            (ROOT / "tests" / "examples").glob("**/*.yaml")):
        kind = ("channels" if path.name == "channels.yaml" or path.parent.name == "channels"
                else "campaign" if path.parent.name == "campaigns" else "post")
        try:
            yield f"{kind}:{path.relative_to(ROOT)}", yamlsafe.loads(path.read_text("utf-8"))
        except (yamlsafe.YamlError, UnicodeDecodeError):
            continue


@pytest.mark.parametrize(("label", "data"), list(_example_data()), ids=lambda x: str(x)[:60])
def test_fast_and_reference_validators_agree(label: str, data: Any) -> None:
    kind = label.split(":")[0]
    if data is None:
        return
    assert schemas.is_valid(kind, data) == (schemas.detailed_errors(kind, data) == [])


def test_secret_values_are_never_quoted_in_schema_errors() -> None:
    data = {"timezone": "UTC", "channels": {"a": {"network": "outbox",
                                                  "secrets": {"token": 12345678901234}}}}
    errors = schemas.detailed_errors("channels", data)
    assert errors and all("12345678901234" not in e.message for e in errors)
