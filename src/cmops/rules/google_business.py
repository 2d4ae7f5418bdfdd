"""Google Business Profile's own post fields (a variant's ``topic``, ``event``, ``offer``
and ``call_to_action``): refused in a variant for another network or channel, and checked
across fields on a ``google_business`` channel by :func:`cmops.localpost.problems`, the
same check the adapter makes before it sends. The schema checks the fields' shapes."""

from __future__ import annotations

from collections.abc import Iterator

from cmops import localpost
from cmops.model import Post
from cmops.problems import Finding
from cmops.render import variant_options
from cmops.rules.context import Context

NETWORK = "google_business"
DOCS = {
    "variant.google_business": "A Google Business Profile field (topic, event, offer, "
                               "call_to_action) in a variant for another network or channel, "
                               "or a local post Google would refuse or cut short: an event "
                               "or offer without its title and window, one that ends before "
                               "it starts, an offer's fields without topic: offer, a button "
                               "on an offer (Google ignores it), a call button with a url or "
                               "another button without one.",
}


def check_post_google_business(post: Post, ctx: Context) -> Iterator[Finding]:
    channels = ctx.calendar.channels
    for name, variant in post.variants.items():
        ch = channels.get(name)
        network = ch.network if ch is not None else name
        if network == NETWORK:
            continue
        for key in localpost.FIELDS:
            if key in variant.options:
                yield Finding(post.file, ("variants", name, key), "variant.google_business",
                              f"{key} is for Google Business Profile channels only, not "
                              f"{name} ({network})", at_key=True)
    for channel in post.channels:
        ch = channels.get(channel)
        if ch is None or ch.network != NETWORK:
            continue
        for path, message in localpost.problems(variant_options(post, channel, NETWORK)):
            yield Finding(post.file, _where(post, channel, path), "variant.google_business",
                          f"{channel} ({NETWORK}): {message}", at_key=True)


def _where(post: Post, channel: str, path: tuple[str, ...]) -> tuple[str, ...]:
    """The field in the variant that gives it (the channel's beats the network's); the
    deepest part of ``path`` that is written."""
    for name in (channel, NETWORK):
        variant = post.variants.get(name)
        if variant is None or path[0] not in variant.options:
            continue
        value = variant.options[path[0]]
        if len(path) > 1 and isinstance(value, dict) and path[1] in value:
            return ("variants", name, *path[:2])
        return ("variants", name, path[0])
    # Not written (a missing event:): where the topic that needs it is.
    for name in (channel, NETWORK):
        variant = post.variants.get(name)
        if variant is not None and "topic" in variant.options:
            return ("variants", name, "topic")
    return ("channels",)
