"""Threads, through the Threads API: the same container flow as Instagram (create on
``/{user-id}/threads``, publish with ``/threads_publish``), text posts allowed, and threads
as replies (``reply_to_id``) (platforms.md §8).

Setup: in Meta for Developers create an app with the "Access the Threads API" use case,
grant ``threads_basic`` and ``threads_content_publish``, run the authorization flow once and
exchange the code for a long-lived token (60 days; refresh it with ``th_refresh_token``
before then). The user id is ``GET /me`` with that token. Images are fetched by Threads from a
public URL::

    threads-main:
      network: threads
      account: "12345678901234567"
      media_base_url: https://media.example.org/
      secrets: {token: THREADS_TOKEN}

What Threads does not allow: more than 5 links in a post (validation stops it first), more
than 250 published posts in 24 hours; alt text is not covered by the reference, so none is
sent.

Exactly-once: as Instagram: the container's status says whether it was published, and the
account's recent posts give the id.
"""

from __future__ import annotations

from typing import ClassVar

from cmops.adapters.base import MediaFile, Outgoing
from cmops.adapters.instagram import ContainerAdapter


class ThreadsAdapter(ContainerAdapter):
    network: ClassVar[str] = "threads"
    host: ClassVar[str] = "https://graph.threads.net"
    version: ClassVar[str] = "v1.0"
    create_edge: ClassVar[str] = "threads"
    publish_edge: ClassVar[str] = "threads_publish"
    status_field: ClassVar[str] = "status"
    text_field: ClassVar[str] = "text"

    def fields(self, out: Outgoing) -> dict[str, str]:
        reply = {"reply_to_id": out.reply_to.id} if out.reply_to else {}
        if not out.media:
            return {"media_type": "TEXT", "text": out.text, **reply}
        if len(out.media) == 1:
            return {"media_type": "IMAGE", **self.image(out.media[0], False),
                    "text": out.text, **reply}
        return {"media_type": "CAROUSEL", "children": self.children(out), "text": out.text,
                **reply}

    def image(self, media: MediaFile, item: bool) -> dict[str, str]:
        fields = super().image(media, item)
        return {"media_type": "IMAGE", **fields} if item else fields

    def before(self, out: Outgoing) -> None:
        """The 250-post quota is enforced by ``threads_publish`` itself."""
