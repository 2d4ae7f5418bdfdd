"""Writing new calendar files (``cmops new post``, ``cmops new campaign``, ``cmops import
csv``): pure text building.

Single-line strings are written JSON-quoted (a JSON string is a valid YAML double-quoted
scalar), so a text like ``no`` or ``10:30`` stays text. Multi-line text is written as a
literal block scalar (``|``, ``|-`` or ``|+``, chosen by how many line breaks end it) so a
reviewer reads it as it will be published; the chomping and indentation rules followed are
those of YAML 1.2.2, section 8.1.1 "Block Scalar Headers" (https://yaml.org/spec/1.2.2/).
Where a block scalar cannot carry a text exactly (trailing spaces an editor would strip, a
first line starting with a space or a tab, carriage returns, control characters, Unicode line
separators), the quoted form is written instead, with every character YAML does not accept
raw (YAML 1.2.2 section 5.1 "Character Set") escaped. The schema line lets editors
autocomplete.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cmops.ids import UnsafeName, is_id
from cmops.model import Link

SCHEMA_LINE = "# yaml-language-server: $schema=../../../schemas/post.schema.json"
CAMPAIGN_SCHEMA_LINE = "# yaml-language-server: $schema=../../schemas/campaign.schema.json"
_ID_OK = re.compile(r"[^a-z0-9]+")
PUBLISH_AT = re.compile(r"next-slot|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
                        r"(Z|[+-]\d{2}:\d{2})?")
"""``publish_at`` as the post schema takes it (to be matched whole)."""
_RAW_OK = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                     "\U00010000-\U0010ffff]")
"""Characters written as they are in a YAML file: printable (YAML 1.2.2, 5.1) and not a
line break to YAML 1.1 parsers (U+2028, U+2029) nor a byte order mark (U+FEFF)."""
_BLOCK_TEXT = re.compile("[\n\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                         "\U00010000-\U0010ffff]*")


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
    thread: list[str] = field(default_factory=list)
    """Further parts of a thread, in order, each published as a reply to the one before."""


@dataclass(slots=True)
class NewCampaign:
    id: str
    name: str
    start: str
    end: str
    description: str | None = None
    owner: str | None = None
    channels: Sequence[str] = ()
    labels: Sequence[str] = ()
    utm: Mapping[str, str] = field(default_factory=dict)
    goals: Mapping[str, int | float | str] = field(default_factory=dict)


def _q(text: str) -> str:
    """``text`` as a double-quoted scalar: JSON's escapes, plus ``\\uXXXX`` for the
    characters YAML refuses raw or reads as line breaks."""
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(c if c == "\n" or _RAW_OK.fullmatch(c) else f"\\u{ord(c):04x}"
                   for c in quoted)


def block_fits(text: str) -> bool:
    """Whether a literal block scalar loads back as exactly ``text``: a multi-line text
    without trailing blanks on any line, whose first non-empty line does not start with a
    blank (it would set the indentation), and made only of characters a block keeps."""
    if "\n" not in text or not _BLOCK_TEXT.fullmatch(text):
        return False
    lines = text.split("\n")
    if any(line.endswith((" ", "\t")) for line in lines):
        return False
    first = next((line for line in lines if line), None)
    return first is not None and not first.startswith(("\t", " "))


def scalar(key: str, text: str, indent: int = 0) -> list[str]:
    """``key: text`` as YAML lines at ``indent`` columns: a literal block scalar for a
    multi-line text it can carry exactly, else one quoted line."""
    pad = " " * indent
    if not block_fits(text):
        return [f"{pad}{key}: {_q(text)}"]
    ending = len(text) - len(text.rstrip("\n"))
    header = "|-" if ending == 0 else "|" if ending == 1 else "|+"
    body = text.split("\n")
    if ending:
        body.pop()  # the empty string after the last line break
    inner = pad + "  "
    return [f"{pad}{key}: {header}"] + [inner + line if line else "" for line in body]


def slug(text: str, limit: int = 40, *, fallback: str = "post") -> str:
    """A readable id fragment: ASCII letters and digits from the text's first words, cut
    at the last word boundary within ``limit`` (a single longer word is cut at the limit);
    ``fallback`` when the text has none (``春``, ``!!!``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = _ID_OK.sub("-", plain).strip("-")
    if len(words) > limit:
        boundary = words.rfind("-", 0, limit + 1)
        words = words[:boundary] if boundary > 0 else words[:limit]
    return words.rstrip("-") or fallback


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
    lines.extend(scalar("text", post.text))
    if post.link:
        lines.extend(link_lines(post.link))
    if post.media:
        lines.append("media:")
        for path, alt in post.media:
            lines.append(f"  - path: {_q(path)}")
            if alt:
                lines.extend(scalar("alt", alt, 4))
    if post.thread:
        lines.append("thread:")
        for part in post.thread:
            first, *rest = scalar("text", part, 4)
            lines.append("  - " + first.lstrip())
            lines.extend(rest)
    return "\n".join(lines) + "\n"


def render_campaign(campaign: NewCampaign) -> str:
    """A campaign file in the order of the examples: identity, window, people, tags, goals."""
    lines = [CAMPAIGN_SCHEMA_LINE, f"id: {_q(campaign.id)}", *scalar("name", campaign.name),
             f"start: {_q(campaign.start)}", f"end: {_q(campaign.end)}"]
    if campaign.description:
        lines.extend(scalar("description", campaign.description))
    if campaign.owner:
        lines.append(f"owner: {_q(campaign.owner)}")
    for key, values in (("channels", campaign.channels), ("labels", campaign.labels)):
        if values:
            lines.append(f"{key}: [" + ", ".join(_q(v) for v in values) + "]")
    if campaign.utm:
        lines.append("utm:")
        lines.extend(f"  {key}: {_q(value)}" for key, value in campaign.utm.items())
    if campaign.goals:
        lines.append("goals:")
        lines.extend(f"  {key}: {_q(value) if isinstance(value, str) else value}"
                     for key, value in campaign.goals.items())
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


def _unsafe(value: str) -> UnsafeName:
    return UnsafeName(f"id {value!r} is not allowed: use 1-100 letters, digits, '.', "
                      "'_' or '-', starting with a letter or digit")


def path_for(post: NewPost) -> str:
    """``calendar/posts/<YYYY-MM>/<id>.yaml``; :class:`~cmops.ids.UnsafeName` for an id that
    is not one safe file name (``../x``, an absolute path, a newline…)."""
    if not is_id(post.id):
        raise _unsafe(post.id)
    month = post.publish_at[:7] if post.publish_at and \
        re.fullmatch(r"[0-9]{4}-[0-9]{2}", post.publish_at[:7]) else "unscheduled"
    return f"calendar/posts/{month}/{post.id}.yaml"


def campaign_path(campaign: NewCampaign) -> str:
    """``calendar/campaigns/<id>.yaml``; :class:`~cmops.ids.UnsafeName` for an unsafe id."""
    if not is_id(campaign.id):
        raise _unsafe(campaign.id)
    return f"calendar/campaigns/{campaign.id}.yaml"


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
