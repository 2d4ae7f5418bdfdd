"""Each network is declared once (:data:`cmops.text.limits.NETWORKS`); every other place that
names networks is derived from the declarations or checked against them here: the model's
list, the adapter registry, both copies of the channels schema, the init template's example
channels and the networks reference page."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from cmops import model, schemas
from cmops.adapters import ADAPTERS
from cmops.rules.references import check_channel_secrets, check_channel_settings
from cmops.text.limits import NETWORKS, READS, SETTING_TYPES

ROOT = Path(__file__).parents[1]
COMMON = {"network", "timezone", "label", "color", "secrets", "slots", "token_expires",
          "edit_window"}
"""Channel settings every network has (not declared per network)."""


def _settings(name: str) -> set[str]:
    rules = NETWORKS[name]
    return {*rules.settings, *rules.optional_settings}


def test_each_declaration_is_under_its_own_name() -> None:
    assert all(name == rules.name for name, rules in NETWORKS.items())


def test_the_model_list_is_the_declarations() -> None:
    assert tuple(NETWORKS) == model.NETWORKS


def test_the_adapter_registry_is_keyed_by_the_declarations() -> None:
    assert set(ADAPTERS) <= set(NETWORKS)
    assert all(ADAPTERS[name].rules is NETWORKS[name]  # type: ignore[attr-defined]
               for name in ADAPTERS)


def _channel_schemas() -> list[tuple[str, dict[str, Any]]]:
    repo = json.loads((ROOT / "schemas" / "channels.schema.json").read_text("utf-8"))
    return [("schemas/", repo), ("src/cmops/schemas/", schemas.load_schema("channels"))]


@pytest.mark.parametrize(("where", "schema"), _channel_schemas(), ids=lambda v: str(v)[:20])
def test_the_channels_schema_names_the_declared_networks(where: str, schema: dict[str, Any]
                                                          ) -> None:
    network = schema["$defs"]["channel"]["properties"]["network"]
    assert network["enum"] == list(NETWORKS), where
    assert all(re.search(rf"\b{name}\b", network["description"]) for name in NETWORKS), where


@pytest.mark.parametrize(("where", "schema"), _channel_schemas(), ids=lambda v: str(v)[:20])
def test_the_channels_schema_has_each_declared_setting_with_its_type(
        where: str, schema: dict[str, Any]) -> None:
    """The schema has no per-network if/then: a missing required setting is reported by
    ``channel.settings`` from the declaration. What the schema says must agree with it: every
    network-specific property is declared by some network with the schema's type, and a
    property the schema calls "X only" is declared by X alone."""
    properties = schema["$defs"]["channel"]["properties"]
    declared = {key for name in NETWORKS for key in _settings(name)}
    assert set(properties) - COMMON == declared, where
    for key in declared:
        types = properties[key]["type"]
        assert tuple(types if isinstance(types, list) else [types]) == SETTING_TYPES[key], key
        who = re.match(r"([a-z/]+)( only)?:", properties[key]["description"])
        if who:
            names = set(who.group(1).split("/"))
            assert names == {n for n in NETWORKS if key in _settings(n)}, (where, key)
    required = {n for n, rules in NETWORKS.items() if "server" in rules.settings}
    assert properties["server"]["description"].endswith(
        f"required for {' and '.join(sorted(required))}."), where


def test_the_secrets_declared_are_the_ones_the_schema_allows() -> None:
    """``secrets:`` is a free map in the schema (role -> variable name); the roles are checked
    against the declarations by ``channel.unknown-secret``. Roles are plain names."""
    assert all(re.fullmatch(r"[a-z_]+", role)
               for rules in NETWORKS.values() for role in rules.secret_roles)


def test_fetching_media_and_media_base_url_go_together() -> None:
    assert {n for n, r in NETWORKS.items() if r.fetches_media} == {"instagram", "threads",
                                                                   "tiktok", "google_business"}
    assert {n for n, r in NETWORKS.items() if r.fetches_media} == {
        n for n in NETWORKS if "media_base_url" in _settings(n)}


def test_what_each_adapter_can_edit_delete_and_read_is_what_it_declares() -> None:
    for name, rules in NETWORKS.items():
        assert rules.reads <= set(READS), name
        adapter = ADAPTERS[name]
        # The publisher edits only where the declaration says so: the adapter must then
        # edit and read the text back, and never where the API is known not to edit.
        assert rules.edits == hasattr(adapter, "edit"), name
        assert rules.edits == hasattr(adapter, "live_text"), name
        assert not rules.edits or rules.api_edits is not False, name
        # The publisher asks only a network that declares deletes: its adapter must delete,
        # and never where the network's API is known not to offer it.
        assert rules.deletes == hasattr(adapter, "delete"), name
        assert not rules.deletes or rules.api_deletes is not False, name
        assert ("search" in rules.reads) == hasattr(adapter, "search"), name
        assert ("answered" in rules.reads) == hasattr(adapter, "replied"), name
        if rules.reads:
            assert all(hasattr(adapter, m) for m in ("metrics", "followers", "inbox")), name
    # The sources cited beside each entry in text/limits.py.
    assert {n for n, r in NETWORKS.items() if r.api_edits} - {"youtube"} == {
        "outbox", "bluesky", "mastodon", "x", "linkedin", "facebook", "discord", "telegram",
        "pinterest", "google_business"}
    assert {n for n, r in NETWORKS.items() if r.api_deletes} - {"youtube"} == {
        "outbox", "bluesky", "mastodon", "x", "linkedin", "facebook", "threads", "discord",
        "telegram", "pinterest", "google_business"}
    assert {n for n, r in NETWORKS.items() if r.api_edits is None} == {"instagram", "threads"}
    assert {n for n, r in NETWORKS.items() if r.deletes} >= {
        "linkedin", "facebook", "threads", "discord", "telegram"}
    assert not NETWORKS["instagram"].deletes, "Instagram's API deletes no media"
    assert {n for n, r in NETWORKS.items() if r.deletes} >= {
        "outbox", "bluesky", "mastodon", "x"}


def _template_channels() -> dict[str, Any]:
    """The init template's channels with its commented examples uncommented."""
    text = resources.files("cmops").joinpath("templates/channels.yaml.tmpl").read_text("utf-8")
    text = text.replace("@@TIMEZONE@@", "Europe/Paris").replace("@@LANG@@", "fr")
    text = re.sub(r"(?m)^  # ((?:  )*[A-Za-z0-9_-]+:.*)$", r"  \1", text)
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_the_template_examples_are_declared_networks_with_declared_settings() -> None:
    data = _template_channels()
    channels = data["channels"]
    assert {ch["network"] for ch in channels.values()} == set(NETWORKS), \
        "the template has an example for every network"
    for name, ch in channels.items():
        rules = NETWORKS[ch["network"]]
        assert set(ch) - COMMON <= _settings(rules.name), name
        assert set(rules.settings) <= set(ch), name
        assert not rules.secrets or tuple(ch["secrets"]) in rules.secrets, name
    assert schemas.detailed_errors("channels", data) == []
    rel = "calendar/channels.yaml"
    assert [*check_channel_settings(rel, data), *check_channel_secrets(rel, data)] == []


def test_the_networks_page_lists_each_declared_network_and_what_it_can_do() -> None:
    text = (ROOT / "docs" / "reference" / "networks.md").read_text("utf-8")
    sections = dict(re.findall(r"(?ms)^## (\S+)\n(.*?)(?=^## |\Z)", text))
    assert set(sections) == set(NETWORKS)
    for name, rules in NETWORKS.items():
        body = sections[name]
        for fact in ("**Threads:**", "**Link:**", "**First comment:**", "**Edit:**",
                     "**Delete:**", "**Read by `cmops collect`:**"):
            assert fact in body, (name, fact)
        assert all(f"`{what}`" in body for what in rules.reads), name
        assert all(f"`{key}`" in body for key in _settings(name)), name
