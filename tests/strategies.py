"""Hypothesis strategies for calendars: values drawn from the JSON Schemas themselves (valid
and near-valid), calendars whose files refer to each other, and raw hostile YAML text.

A generated calendar is a mapping ``repository path -> file bytes``; tests write it into a
temporary repository beside the base example's media.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from cmops.schemas import load_schema
from cmops.text.limits import NETWORKS as DECLARED

NOW = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
"""The instant every property plans, publishes and reports at."""

# Characters that have broken text handling somewhere: line and paragraph separators,
# NEL and C1 controls, NUL, bidi overrides, zero-width joiners, combining marks, emoji with
# skin tones and ZWJ sequences, fullwidth '#', CJK, astral characters, YAML and Markdown
# punctuation.
HOSTILE = ("\u2028\u2029\u0085\u009b\x00\x0b\x0c\r\t\u202e\u2066\u200b\u200d\u0301"
           "\U0001f44d\U0001f3fd\U0001f469\u200d\U0001f4bb\uff03\u6f22\U00010348"
           "#@:-[]{}&*!|>'\"%`~\\<>_$")
TEXT = st.text(st.one_of(st.sampled_from(HOSTILE), st.characters(codec="utf-8")), max_size=60)
LONG_TEXT = st.builds(lambda s, n: s * n, TEXT, st.integers(1, 40))

NETWORKS = tuple(DECLARED)
CHANNEL_SETTINGS = {"mastodon": {"server": "https://mastodon.example"},
                    "telegram": {"chat_id": "@cmops"},
                    "linkedin": {"account": "urn:li:organization:1"},
                    "facebook": {"account": "1234"},
                    "instagram": {"account": "1784", "media_base_url": "https://m.example/"},
                    "threads": {"account": "1784", "media_base_url": "https://m.example/"},
                    "discord": {}}
ZONES = ("Europe/Paris", "America/New_York", "UTC", "Australia/Lord_Howe", "Pacific/Chatham",
         "America/Santiago", "Asia/Kathmandu")

# -- values from the schemas ------------------------------------------------------------


def _regex(pattern: str) -> st.SearchStrategy[str]:
    try:
        re.compile(pattern)
        return st.from_regex(pattern, fullmatch=True)
    except Exception:  # a construct from_regex does not take: a few plain words instead
        return st.sampled_from(["site", "calendar/media", "a-b"])


def from_schema(node: Mapping[str, Any], root: Mapping[str, Any],
                depth: int = 0) -> st.SearchStrategy[Any]:
    """Values valid against ``node`` (a schema of ours), mostly: patterns, enums, ranges and
    required fields are followed; lists and maps stay small."""
    if "$ref" in node:
        target: Any = root
        for step in node["$ref"].lstrip("#/").split("/"):
            target = target[step]
        return from_schema(target, root, depth)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "const" in node:
        return st.just(node["const"])
    for key in ("anyOf", "oneOf"):
        if key in node:
            return st.one_of([from_schema(sub, root, depth) for sub in node[key]])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**node, "type": k}, root, depth) for k in kind])
    if kind == "string":
        if "pattern" in node:
            return _regex(node["pattern"])
        return st.text(max_size=20, min_size=node.get("minLength", 0))
    if kind == "integer":
        return st.integers(node.get("minimum", -5), node.get("maximum", 5000))
    if kind == "number":
        return st.floats(node.get("minimum", -5), node.get("maximum", 5000), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = from_schema(node.get("items", {"type": "string"}), root, depth + 1)
        return st.lists(items, min_size=node.get("minItems", 0),
                        max_size=min(node.get("maxItems", 3), 3) if depth < 3 else 1,
                        unique_by=(lambda v: json.dumps(v, sort_keys=True))
                        if node.get("uniqueItems") else None)
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        required = [k for k in node.get("required", []) if k in props]
        optional = [k for k in props if k not in required]
        extra = node.get("additionalProperties")
        fixed = st.fixed_dictionaries(
            {k: from_schema(props[k], root, depth + 1) for k in required},
            optional={k: from_schema(props[k], root, depth + 1) for k in optional}
            if depth < 4 else {})
        if isinstance(extra, dict) and depth < 4:
            names = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
            more = st.dictionaries(names, from_schema(extra, root, depth + 1), max_size=2)
            return st.builds(lambda a, b: {**b, **a}, fixed, more)
        return fixed
    return st.one_of(st.none(), st.booleans(), st.integers(), TEXT)


def schema_values(name: str) -> st.SearchStrategy[Any]:
    schema = load_schema(name)
    return from_schema(schema, schema)


# A value that is almost right: the kinds of mistakes and attacks the issue lists.
NEAR: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from([None, True, 0, -1, 10**40, 1.5e308, float("inf"), "", " ", [], {},
                     "9999999w", "99999999999999999d", "999999999h", "0h", "366d", "8784h",
                     "9999-12-31T20:00-12:00", "0001-01-01T00:00+14:00", "1970-01-01T12:00Z",
                     "2000-01-01T00:00", "2100-12-31T23:59", "2027-03-28T02:30",
                     "2027-10-31T02:30", "9999-12-31", "0001-01-01", "next-slot",
                     "Europe/Nowhere", "\u2028", "a\x00b", "x" * 300]),
    TEXT)


@st.composite
def near_valid(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> Any:
    """A schema-valid value with one field replaced, added or removed, at any depth."""
    value = draw(values)
    if not isinstance(value, dict) or not value or draw(st.booleans()):
        return value
    target: dict[str, Any] = value
    while True:
        nested = [k for k, v in target.items() if isinstance(v, dict) and v]
        if not nested or draw(st.booleans()):
            break
        target = target[draw(st.sampled_from(sorted(nested)))]
    action = draw(st.sampled_from(["replace", "add", "drop"]))
    key = draw(st.sampled_from(sorted(target)))
    if action == "replace":
        target[key] = draw(NEAR)
    elif action == "add":
        target[draw(st.sampled_from(["extra", "Id", "chanels", key + "_"]))] = draw(NEAR)
    else:
        del target[key]
    return value


def dump(data: Any) -> bytes:
    """YAML that yamlsafe reads back as ``data``: JSON is YAML (flow style, all quoted)."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


# -- calendars whose files refer to each other ----------------------------------------------

def _when(offset: timedelta, form: str) -> str:
    at = NOW + offset
    if form == "local":
        return at.strftime("%Y-%m-%dT%H:%M")
    if form == "offset":
        return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return at.strftime("%Y-%m-%dT%H:%MZ")


TIMES = st.one_of(
    st.builds(_when, st.timedeltas(timedelta(days=-90), timedelta(days=90)),
              st.sampled_from(["local", "offset", "z"])),
    st.sampled_from(["next-slot", "2027-03-28T02:30", "2000-01-01T00:00Z", "2100-12-31T23:00"]),
    _regex(load_schema("post")["properties"]["publish_at"]["pattern"]))
EVERY = st.one_of(st.builds(lambda n, u: f"{n}{u}", st.integers(1, 400),
                            st.sampled_from("hdw")),
                  st.sampled_from(["1h", "24h", "7d", "366d", "52w", "8784h", "53w",
                                   "9999999w", "99999999999999999w"]))


@st.composite
def channels_file(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    names = draw(st.lists(st.sampled_from(NETWORKS), min_size=1, max_size=5, unique=True))
    channels: dict[str, Any] = {}
    for network in names:
        entry: dict[str, Any] = {"network": network, **CHANNEL_SETTINGS.get(network, {})}
        if draw(st.integers(0, 4)) == 0:
            entry["timezone"] = draw(st.sampled_from(ZONES))
        if draw(st.integers(0, 4)) == 0:
            entry["slots"] = draw(st.lists(st.sampled_from(
                ["Mon-Fri 09:30", "daily 12:00", "Sat,Sun 10:00", "weekdays 17:00"]),
                min_size=1, max_size=2, unique=True))
        channels[f"{network}-main"] = entry
    data: dict[str, Any] = {"timezone": draw(st.sampled_from(ZONES)), "channels": channels}
    if draw(st.booleans()):
        data["max_delay"] = draw(st.sampled_from(["6h", "90m", "2d", "366d", "367d"]))
    return data, sorted(channels)


@st.composite
def post_data(draw: st.DrawFn, pid: str, channels: list[str], campaigns: list[str]
              ) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": pid,
        "channels": draw(st.lists(st.sampled_from([*channels, "nowhere"]), min_size=1,
                                  max_size=4, unique=True)),
        "status": draw(st.sampled_from(["ready", "ready", "draft", "standby"])),
        "text": draw(st.one_of(TEXT, LONG_TEXT, st.just("Short and fine."))),
        "publish_at": draw(TIMES),
    }
    if data["publish_at"] == "next-slot" and draw(st.booleans()):
        data["queue"] = draw(st.sampled_from(["2027-03-01", "2027-03-06", "9999-12-31"]))
    if draw(st.integers(0, 3)) == 0:
        repeat: dict[str, Any] = {"every": draw(EVERY)}
        if draw(st.booleans()):
            repeat["count"] = draw(st.integers(1, 1000))
        if draw(st.booleans()):
            repeat["until"] = draw(st.sampled_from(["2027-03-10", "2027-12-31", "2100-12-31",
                                                    "2000-01-01", "9999-12-31"]))
        data["repeat"] = repeat
    if draw(st.integers(0, 3)) == 0:
        data["thread"] = [{"text": draw(TEXT) or "part"}
                          for _ in range(draw(st.sampled_from([1, 2, 19, 20, 21, 25, 26])))]
    if draw(st.integers(0, 3)) == 0:
        data["media"] = [{"path": draw(st.sampled_from(
            ["calendar/media/pic.png", "calendar/media/notes.png", "calendar/media/none.png",
             "../outside.png", "calendar/media/a\x00b.png", "calendar/media/" + "a" * 300])),
            "alt": draw(TEXT)}]
    if bool(campaigns) and draw(st.booleans()):
        data["campaign"] = draw(st.sampled_from([*campaigns, "no-such-campaign"]))
    if draw(st.integers(0, 3)) == 0:
        data["link"] = draw(st.sampled_from(["https://example.org/a?b=c", "https://x.example/" +
                                             "p" * 40]))
    if draw(st.integers(0, 4)) == 0:
        target = draw(st.sampled_from([*channels, "x", "bluesky", "mastodon"]))
        data["variants"] = {target: {"text": draw(TEXT) or "variant"}}
    if draw(st.integers(0, 5)) == 0:
        data["max_delay"] = draw(st.sampled_from(["6h", "0m", "366d", "99999999999999999d"]))
    return data


CLEAN_TEXT = st.builds(lambda s: "Hi " + s, st.text(
    st.sampled_from("abc xyz#@.\u2028\u2029\u00e9\U0001f44d\u6f22e\u0301"), max_size=50))


@st.composite
def clean_post(draw: st.DrawFn, pid: str, channels: list[str]) -> dict[str, Any]:
    """A post meant to pass validation (most do): what a careful author writes."""
    data: dict[str, Any] = {
        "id": pid,
        "channels": draw(st.lists(st.sampled_from(channels), min_size=1, max_size=3,
                                  unique=True)),
        "status": draw(st.sampled_from(["ready", "ready", "draft", "standby"])),
        "text": draw(CLEAN_TEXT),
        "publish_at": _when(draw(st.timedeltas(timedelta(days=-90), timedelta(days=90))), "z"),
        "media": [{"path": "calendar/media/pic.png", "alt": "A red light."}],
    }
    if draw(st.integers(0, 2)) == 0:
        repeat: dict[str, Any] = {"every": draw(st.one_of(
            st.builds(lambda n: f"{n}h", st.integers(1, 8784)),
            st.builds(lambda n: f"{n}d", st.integers(1, 366)),
            st.builds(lambda n: f"{n}w", st.integers(1, 52))))}
        if draw(st.booleans()):
            repeat["count"] = draw(st.integers(1, 1000))
        data["repeat"] = repeat
    if draw(st.integers(0, 2)) == 0:
        data["thread"] = [{"text": draw(CLEAN_TEXT)} for _ in range(draw(st.integers(1, 19)))]
        flat = ("linkedin", "facebook", "instagram", "discord")
        data["variants"] = {n.removesuffix("-main"): {"thread": []} for n in data["channels"]
                            if n.removesuffix("-main") in flat}
        if not data["variants"]:
            del data["variants"]
    if draw(st.integers(0, 3)) == 0:
        data["link"] = "https://example.org/a?b=c"
    return data


@st.composite
def clean_calendars(draw: st.DrawFn, max_posts: int = 6) -> dict[str, bytes]:
    """Calendars meant to validate: their plans, renderings and reports must all work."""
    channels, names = draw(channels_file())
    channels["max_delay"] = "6h"
    channels["channels"].pop("instagram-main", None)  # JPEG only: the example media is PNG
    names = [n for n in names if n != "instagram-main"] or ["outbox-main"]
    channels["channels"].setdefault(names[0], {"network": "outbox"})
    files: dict[str, bytes] = {"calendar/channels.yaml": dump(channels)}
    for i in range(draw(st.integers(1, max_posts))):
        files[f"calendar/posts/post{i}.yaml"] = dump(draw(clean_post(f"post{i}", names)))
    return files


@st.composite
def calendars(draw: st.DrawFn, max_posts: int = 6) -> dict[str, bytes]:
    """A whole calendar: channels, campaigns, rules, posts; some files valid, some near-valid,
    some straight from the schemas, some raw hostile YAML."""
    channels, names = draw(channels_file())
    if draw(st.integers(0, 9)) == 0:  # straight from the schema: posts rarely match it
        channels = draw(near_valid(schema_values("channels")))
    files: dict[str, bytes] = {"calendar/channels.yaml": dump(channels)}
    campaigns = []
    for i in range(draw(st.integers(0, 2))):
        cid = f"camp{i}"
        start = draw(st.sampled_from(["2027-03-01", "2027-01-01", "0001-01-01", "2027-04-01"]))
        data = {"id": cid, "name": draw(TEXT) or cid, "start": start,
                "end": draw(st.sampled_from(["2027-03-31", "2027-12-31", "9999-12-31",
                                             "2027-02-01"])),
                "channels": names[:2]}
        if draw(st.integers(0, 3)) == 0:
            data = {**draw(schema_values("campaign")), "id": cid}
        files[f"calendar/campaigns/{cid}.yaml"] = dump(draw(near_valid(st.just(data))))
        campaigns.append(cid)
    if draw(st.integers(0, 3)) == 0:
        files["calendar/rules.yaml"] = dump(draw(near_valid(schema_values("rules"))))
    for name in ("listening", "pause", "analytics"):
        if draw(st.integers(0, 5)) == 0:
            files[f"calendar/{name}.yaml"] = draw(st.one_of(
                hostile_yaml(), st.builds(dump, near_valid(schema_values(name)))))
    for i in range(draw(st.integers(1, max_posts))):
        source = draw(st.sampled_from(["domain", "domain", "domain", "near", "schema", "raw"]))
        pid = f"post{i}"
        if source == "raw":
            raw = draw(hostile_yaml())
        elif source == "schema":
            raw = dump(draw(schema_values("post")))
        else:
            data = draw(post_data(pid, names, campaigns))
            raw = dump(draw(near_valid(st.just(data))) if source == "near" else data)
        files[f"calendar/posts/{pid}.yaml"] = raw
    return files


# -- raw hostile YAML ----------------------------------------------------------------------

_SNIPPETS = [
    "id: a\nchannels: [news]\nstatus: ready\ntext: hi\npublish_at: 2027-03-02T09:00\n",
    "a: &x [1, 2]\nb: *x\n", "<<: {id: a}\n", "text: !!python/object:os.system x\n",
    "id: a\nid: b\n", "[" * 200 + "]" * 200, "count: " + "9" * 5000 + "\n",
    "\ufeffid: bom\n", "\tid: tab\n", "text: |\n  \u2028\u0085\n", "? [a]\n: b\n",
    "text: \"\\ud800\"\n", "--- a\n--- b\n", "publish_at: 9999-12-31T20:00-12:00\n",
    "repeat: {every: 9999999w}\n", "thread:\n" + "  - text: p\n" * 30,
    "k: 1\n" * 50, "text: 1e999999\n", "text: -0x10\n", "%YAML 1.1\n---\nx: no\n",
]


@st.composite
def hostile_yaml(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(st.one_of(st.sampled_from(_SNIPPETS), TEXT), min_size=1,
                          max_size=4))
    text = "".join(parts)
    encoded = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        encoded = encoded[: draw(st.integers(0, len(encoded)))] + b"\xff\xfe"
    return encoded

