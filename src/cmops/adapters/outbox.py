"""The embedded local channel (``network: outbox``): no credentials, no network.

Each published message becomes one JSON file in the channel's directory (setting ``path``,
default ``.cmops/outbox/<channel>``), named by its dedupe key, and ``feed.xml`` beside them is
an Atom feed of everything there, newest first. Both are written atomically. Because the
file name is the dedupe key, a replayed send finds its file and never writes a second one.
A withdrawn message's file is removed and the feed written again without it; an edited
one's file is written again with its new text (``edited_at`` beside ``published_at``). A
reply (``reply_to:``) records the URL it answers as ``reply_to``.

Where the files are kept: with a local ledger they stay in the folder; with the ledger on a
git branch (``--state-branch``, CI) the default folder ``.cmops/outbox/`` is restored from the
branch (its ``outbox/`` folder) before a run publishes, and committed back in the same
commit as the run's records, so a thrown-away runner loses nothing. ``cmops report`` copies
the files into the site (``outbox/<channel>/`` of the report) and links each published
message to its copy there. A channel with its own ``path`` is copied into the site from the
folder but is not kept on the branch.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar
from xml.sax.saxutils import escape, quoteattr

from cmops.adapters.base import (
    ChannelContext,
    Edit,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Withdrawal,
    refuse_unsendable,
)
from cmops.adapters.reading import Counters, InboxItem
from cmops.atomic import write_atomic
from cmops.text.limits import NETWORKS, NetworkRules

FEED_ENTRIES = 200
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters XML 1.0 forbids: one of them would make the whole feed unreadable for good."""


def _x(value: object) -> str:
    return escape(_NOT_XML.sub("\ufffd", str(value)))


def _inside(root: Path, setting: str, channel: str) -> Path:
    """The channel's ``path``, strictly inside the repository and outside ``.git`` and
    ``calendar/`` (content must not be able to write where code or content lives)."""
    parts = Path(setting).parts
    full = (root / setting).resolve()
    real = root.resolve()
    if Path(setting).is_absolute() or ".." in parts or not full.is_relative_to(real) \
            or full == real or full.relative_to(real).parts[0] in (".git", "calendar"):
        raise NotConfigured(f"channel {channel}: outbox path {setting!r} must be a folder "
                            "inside the repository (not .git/ or calendar/)")
    return full


class OutboxAdapter:
    network: ClassVar[str] = "outbox"
    reconcile_by: ClassVar[str] = "record-key"
    rules: ClassVar[NetworkRules] = NETWORKS["outbox"]

    def __init__(self, ctx: ChannelContext) -> None:
        self._asked: dict[str, str] = {}
        self.name = ctx.name
        self.root = ctx.root
        setting = ctx.settings.get("path")
        self.dir = _inside(ctx.root, setting, ctx.name) if isinstance(setting, str) else \
            ctx.root / ".cmops" / "outbox" / ctx.name

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in key)
        salt = hashlib.sha256(f"{key}|{part}|{now.isoformat()}".encode()).hexdigest()[:8]
        return f"{safe}-p{part + 1}-{salt}"

    def _file(self, dedupe: str) -> Path:
        return self.dir / f"{dedupe}.json"

    def _remote(self, dedupe: str) -> Remote:
        path = self._file(dedupe)
        return Remote(dedupe, path.relative_to(self.root).as_posix()
                      if path.is_relative_to(self.root) else path.as_posix())

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        path = self._file(out.dedupe)
        if path.exists():
            return self._remote(out.dedupe)
        when = out.published_at or datetime.now(UTC)
        body = {
            "id": out.dedupe, "post": out.post_id, "channel": out.channel,
            "part": out.part + 1, "parts": out.parts, "text": out.text, "lang": out.lang,
            "link": out.link,
            "card": {"url": out.card.url, "title": out.card.title,
                     "description": out.card.description, "image": out.card.image_ref}
            if out.card else None,
            "media": [{"path": m.rel, "alt": m.alt} for m in out.media],
            "in_reply_to": out.reply_to.id if out.reply_to else None,
            "reply_to": out.reply_url,
            "comment": out.comment,
            "published_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        write_atomic(path, json.dumps(body, ensure_ascii=False, indent=2).encode() + b"\n")
        self._write_feed()
        return self._remote(out.dedupe)

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        return self._remote(out.dedupe) if self._file(out.dedupe).exists() else None

    def delete(self, item: Withdrawal) -> None:
        """Remove the part's file (one atomic unlink) and write the feed again without it.
        The feed is written even when the file is already gone, so a run that died between
        the two leaves no withdrawn entry behind once the delete is repeated."""
        self._message(item.remote.id, "delete").unlink(missing_ok=True)
        if self.dir.is_dir():
            self._write_feed()

    def _message(self, name: str, what: str) -> Path:
        if not name or Path(name).name != name or name.startswith("."):
            where = "from" if what == "delete" else "in"
            raise Rejected(f"cannot {what} {name!r} {where} the outbox {self.name}: not a "
                           "message file name")
        return self._file(name)

    def edit(self, item: Edit) -> None:
        """Write the part's file again with the new text (atomically), then the feed."""
        path = self._message(item.remote.id, "edit")
        try:
            body = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise Rejected(f"cannot edit {item.remote.id} in the outbox {self.name}: its file "
                           "is gone (deleted by hand?)") from None
        except (OSError, ValueError) as exc:
            raise Rejected(f"cannot edit {item.remote.id} in the outbox {self.name}: its file "
                           f"cannot be read ({exc})") from None
        media = body.get("media") if isinstance(body.get("media"), list) else []
        if item.alts is not None and len(item.alts) != len(media):
            raise Rejected(f"cannot edit {item.remote.id} in the outbox {self.name}: it has "
                           f"{len(media)} media, the edit gives {len(item.alts)} alt texts")
        alts_same = item.alts is None or [m.get("alt") for m in media] == list(item.alts)
        if body.get("text") == item.text and alts_same:
            return
        body["text"] = item.text
        for entry, alt in zip(media, item.alts or (), strict=False):
            entry["alt"] = alt
        body["edited_at"] = datetime.now(UTC).isoformat(timespec="seconds").replace(
            "+00:00", "Z")
        write_atomic(path, json.dumps(body, ensure_ascii=False, indent=2).encode() + b"\n")
        self._write_feed()

    def live_text(self, item: Edit) -> str | None:
        try:
            body = json.loads(self._message(item.remote.id, "read").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        text = body.get("text") if isinstance(body, dict) else None
        return text if isinstance(text, str) else None

    def close(self) -> None:
        pass

    def _write_feed(self) -> None:
        entries = []
        for path in self.dir.glob("*.json"):
            try:
                entries.append(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError):
                continue
        entries.sort(key=lambda e: (str(e.get("published_at")), str(e.get("id"))),
                     reverse=True)
        updated = entries[0]["published_at"] if entries else "1970-01-01T00:00:00Z"
        lines = ['<?xml version="1.0" encoding="utf-8"?>',
                 '<feed xmlns="http://www.w3.org/2005/Atom">',
                 f"  <title>{_x(self.name)}</title>",
                 f"  <id>urn:cmops:outbox:{_x(self.name)}</id>",
                 f"  <updated>{_x(updated)}</updated>"]
        for e in entries[:FEED_ENTRIES]:
            text = str(e.get("text", ""))
            lines += ["  <entry>",
                      f"    <id>urn:cmops:{_x(e.get('id'))}</id>",
                      f"    <title>{_x(text.splitlines()[0] if text else '')}</title>",
                      f"    <updated>{_x(e.get('published_at'))}</updated>",
                      f"    <content type=\"text\">{_x(text)}</content>"]
            if e.get("link"):
                href = quoteattr(_NOT_XML.sub("\ufffd", str(e["link"])))
                lines.append(f"    <link href={href}/>")
            lines.append("  </entry>")
        lines.append("</feed>")
        write_atomic(self.dir / "feed.xml", ("\n".join(lines) + "\n").encode("utf-8"))

    # -- reading (cmops collect): a feed has no audience the outbox can count ---------------
    @property
    def unavailable(self) -> dict[str, str]:
        """Nothing is refused, but a folder of files has no audience to count: once asked,
        the outbox says so, and ``cmops collect`` explains the missing numbers instead of
        seeming to have read them (before any read: nothing, like every reader)."""
        return dict(self._asked)

    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        """Every post is there, with no counters: each count is unavailable (None)."""
        if remotes:
            self._asked["metrics"] = "an outbox is files: nothing counts their likes or readers"
        return {remote: Counters() for remote in remotes}

    def followers(self) -> int | None:
        self._asked["followers"] = "an outbox has no followers"
        return None

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        return [], cursor
