"""Writing new post files (``cmops new post``, ``cmops import csv``): pure text building.

Every string is written JSON-quoted (a JSON string is a valid YAML double-quoted scalar), so
a text like ``no`` or ``10:30`` stays text; the schema line lets editors autocomplete.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cmops.ids import UnsafeName, is_id
from cmops.model import Link

SCHEMA_LINE = "# yaml-language-server: $schema=../../../schemas/post.schema.json"
_ID_OK = re.compile(r"[^a-z0-9]+")


@dataclass(slots=True)
class NewPost:
    id: str
    channels: Sequence[str]
    text: str
    publish_at: str | None = None
    status: str = "draft"
    campaign: str | None = None
    link: str | Link | None = None
    media: list[tuple[str, str | None]] = field(default_factory=list)


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def slug(text: str, limit: int = 40) -> str:
    """A readable id fragment: ASCII letters and digits from the text's first words."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = _ID_OK.sub("-", plain).strip("-")
    return words[:limit].rstrip("-") or "post"


def fresh_id(base: str, taken: Iterable[str]) -> str:
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


def render(post: NewPost) -> str:
    lines = [SCHEMA_LINE, f"id: {_q(post.id)}", f"status: {post.status}"]
    if post.publish_at:
        lines.append(f"publish_at: {_q(post.publish_at)}")
    lines.append("channels: [" + ", ".join(_q(c) for c in post.channels) + "]")
    if post.campaign:
        lines.append(f"campaign: {_q(post.campaign)}")
    lines.append(f"text: {_q(post.text)}")
    if post.link:
        lines.extend(link_lines(post.link))
    if post.media:
        lines.append("media:")
        for path, alt in post.media:
            lines.append(f"  - path: {_q(path)}")
            if alt:
                lines.append(f"    alt: {_q(alt)}")
    return "\n".join(lines) + "\n"


def link_lines(link: str | Link) -> list[str]:
    """``link:`` as YAML lines: the URL alone, or the card as a mapping (every value
    JSON-quoted, so a page's title cannot break out of its string)."""
    if isinstance(link, str) or link.title is None:
        return [f"link: {_q(link if isinstance(link, str) else link.url)}"]
    lines = ["link:", f"  url: {_q(link.url)}", f"  title: {_q(link.title)}"]
    if link.description:
        lines.append(f"  description: {_q(link.description)}")
    if link.image:
        lines.append(f"  image: {_q(link.image)}")
    return lines


def path_for(post: NewPost) -> str:
    """``calendar/posts/<YYYY-MM>/<id>.yaml``; :class:`~cmops.ids.UnsafeName` for an id that
    is not one safe file name (``../x``, an absolute path, a newline…)."""
    if not is_id(post.id):
        raise UnsafeName(f"id {post.id!r} is not allowed: use 1-100 letters, digits, '.', "
                         "'_' or '-', starting with a letter or digit")
    month = post.publish_at[:7] if post.publish_at and \
        re.fullmatch(r"[0-9]{4}-[0-9]{2}", post.publish_at[:7]) else "unscheduled"
    return f"calendar/posts/{month}/{post.id}.yaml"


def with_link(source: str, link: Link) -> str:
    """A post file's text with its top-level ``link:`` replaced by ``link`` (added at the end
    when it has none); everything else is kept as written."""
    import yaml

    node = yaml.compose(source, Loader=yaml.SafeLoader)
    lines = source.splitlines(keepends=True)
    new = [line + "\n" for line in link_lines(link)]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "link":
                end = value.end_mark.line + (value.end_mark.column > 0)
                return "".join(lines[:key.start_mark.line] + new + lines[end:])
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines + new)
