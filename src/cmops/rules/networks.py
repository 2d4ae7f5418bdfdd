"""Each network's own rules, per post × channel, on the text exactly as it will be sent.

The text is rendered by :func:`cmops.render.render_parts` (variants, UTM tags, thread parts):
the same code the publisher sends from, then measured with the network's counting from
:mod:`cmops.text.limits`. Messages give the count and the limit in the network's own unit:
``312/300 graphemes on bluesky-main``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from datetime import date

from cmops import apiversions
from cmops.model import Calendar, Media, Post
from cmops.problems import Finding, Path, Severity
from cmops.render import COMMENT, RenderedPart, post_format, render_parts, variant_options
from cmops.replyto import BadReplyUrl, parse
from cmops.rules.context import Context
from cmops.text.limits import NETWORKS, Attachment, advice, check, sends_original
from cmops.text.reels import FACEBOOK_REEL, reel_refusals

DOCS = {
    "text.too-long": "A post (or a thread part) is over its network's limit, counted the "
                     "network's way: X weighted characters with every URL as 23, Bluesky "
                     "graphemes and UTF-8 bytes, Mastodon characters with URLs as 23, "
                     "LinkedIn, Instagram, Threads, Facebook, Discord and Telegram characters. "
                     "Also caps on links, hashtags and mentions where a network has them.",
    "text.empty": "A post (or a thread part) would go out with no text and no media: every "
                  "network refuses that.",
    "text.no-threads": "A post has thread: parts but one of its channels' networks has no "
                       "threads; give that network or channel a variant without thread:.",
    "text.thread-too-long": "A thread has more posts than its channel's network takes in a "
                            "row (Telegram: 20, its limit of messages a minute in a group). "
                            "On every network a thread has at most 25 parts after the main "
                            "post.",
    "text.hashtags": "More hashtags than the network is reported to make use of (warning).",
    "media.required": "The network cannot publish a post without an image or video "
                      "(Instagram).",
    "media.too-many": "More media (or more videos) attached than the network takes in one "
                      "post.",
    "media.mixed": "Images and a video in one post, on a network that takes one or the "
                   "other (Bluesky, Mastodon, X).",
    "media.network-type": "A media type the channel's network does not accept, or that "
                          "cmops cannot send there yet (video on Bluesky, X, Instagram, "
                          "Threads, LinkedIn and Facebook): the adapter checks the same "
                          "declaration before it sends. A PNG, JPEG or WebP image is "
                          "converted to JPEG when published instead (not a GIF, which may be "
                          "animated, nor for Instagram and Threads, which fetch the file "
                          "itself).",
    "media.network-size": "A media file larger than the channel's network accepts. An image "
                          "(not a GIF) is shrunk to fit when published instead, except for "
                          "Instagram and Threads, which fetch the file itself.",
    "media.alt-too-long": "Alt text longer than the network accepts.",
    "media.video-duration": "A video shorter or longer than the channel's network takes, "
                            "read from the file itself.",
    "media.video-aspect": "A video whose aspect ratio (as displayed, rotation applied) is "
                          "outside the range the channel's network takes.",
    "media.video-dimensions": "A video wider or taller than the channel's network takes.",
    "media.video-fps": "A video with more frames a second than the channel's network takes.",
    "media.video-codec": "A video encoded with a codec the channel's network does not state "
                         "it takes (H.264 is 'AVC').",
    "media.video-unreadable": "A video whose duration, size or codec cannot be read from the "
                              "file, on a network that limits them: never sent on a guess.",
    "media.image-unreadable": "An image that does not decode (damaged, cut short, or not "
                              "what its first bytes say) or claims more pixels than Pillow's "
                              "decompression-bomb limit: the publisher cannot prepare it and "
                              "no network would show it.",
    "media.no-public-url": "Instagram and Threads fetch images from a public URL: the channel "
                           "needs media_base_url for a post with media.",
    "channel.api-version": "The API version a LinkedIn, Facebook or Instagram channel uses "
                           "(its version: setting, or cmops's default) ends within 60 days "
                           "(warning), has ended (error: every post would fail or be served "
                           "by another version), or is not a version of that API (error).",
    "first-comment.unsupported": "A post has first_comment: but one of its channels' "
                                 "networks takes no first comment from cmops (Telegram, "
                                 "Discord); give that network or channel a variant with "
                                 "first_comment: \"\" to leave it out there.",
    "variant.format": "A variant's format: reel or story is for Instagram channels only, "
                      "and is one image or video (a video for a reel); a story shows no "
                      "text, so text given for it is a warning (it is not sent). Facebook "
                      "channels take format: reel too: one video of 3 to 90 seconds, 9:16, "
                      "at least 540x960, 24 to 60 frames a second (the Reels Publishing "
                      "API's figures, read from the file).",
    "channel.token-expiring": "A channel's token_expires date is within 14 days (or past): "
                              "renew the token (warning).",
    "post.reply-to": "A reply (reply_to:) goes to more or fewer than one channel, to a "
                     "channel whose network takes no replies from cmops, repeats, or names "
                     "a URL that is not a post or comment of that network.",
    "post.edit-not-applied": "A published post's text or alt text changed, but the change "
                             "will not reach a channel where it is live (the network cannot "
                             "edit, past the channel's edit_window, messages added or "
                             "removed, or refused before): a warning, given when validate "
                             "knows what was published (the local ledger, or "
                             "--state-branch).",
    "variant.pinterest": "A variant for a Pinterest channel holds a field a pin does not "
                         "take (a pin takes title:, besides text, media and thread), or a "
                         "title longer than Pinterest's 100 characters.",
    "media.reply": "A reply carries media on a network where cmops answers with a comment, "
                   "which takes text only (Instagram, Facebook, LinkedIn).",
}

TOKEN_WARNING_DAYS = 14


def _field(post: Post, channel: str, network: str, name: str) -> Path:
    """Where the rendered field comes from: the channel's variant, the network's, or the
    post itself (the same precedence as rendering)."""
    for variant in (channel, network):
        v = post.variants.get(variant)
        if v is not None and getattr(v, name) is not None:
            return ("variants", variant, name)
    return (name,)


def _part_path(post: Post, channel: str, network: str, index: int,
               kind: str = "post") -> Path:
    if kind == COMMENT:
        return _field(post, channel, network, "first_comment")
    if index == 0:
        return _field(post, channel, network, "text")
    return (*_field(post, channel, network, "thread"), index - 1, "text")


def _parts(post: Post, channel: str, network: str, calendar: Calendar
           ) -> tuple[RenderedPart, ...]:
    """The parts as sent: what :func:`cmops.render.render` gives (``network`` is the
    channel's, which rendering looks up itself)."""
    return render_parts(post, channel, calendar)


def checked_parts(post: Post, channel: str, calendar: Calendar) -> tuple[RenderedPart, ...]:
    """The parts of ``post`` on ``channel`` exactly as validation measures them (a test holds
    them equal to what the plan shows and what the network receives)."""
    ch = calendar.channels.get(channel)
    return _parts(post, channel, ch.network if ch and ch.network else "outbox", calendar)


def _format_findings(post: Post, channel: str, network: str, text: str,
                     media: tuple[Media, ...], ctx: Context) -> Iterator[Finding]:
    """A variant's ``format: reel`` or ``story``: Instagram only, one medium (a video for a
    reel), except a reel on Facebook (:func:`_facebook_reel`); a story shows no text, so
    text given for one is a warning."""
    kind, _share = post_format(post, channel, network)
    if kind == "feed":
        return
    where = _field(post, channel, network, "format")
    if network == "facebook" and kind == "reel":
        yield from _facebook_reel(post, channel, media, ctx)
    elif network != "instagram":
        networks = "Instagram and Facebook" if kind == "reel" else "Instagram"
        yield Finding(post.file, where, "variant.format", f"{channel} ({network}) takes no "
                      f"{kind}: format: {kind} is for {networks} channels only")
    elif len(media) != 1:
        yield Finding(post.file, where, "variant.format", f"an Instagram {kind} is one image "
                      f"or video; {channel} has {len(media)}")
    elif kind == "reel" and not (mimetypes.guess_type(media[0].path)[0] or "").startswith(
            "video/"):
        yield Finding(post.file, where, "variant.format", f"an Instagram reel is a video: "
                      f"'{media[0].path}' is not one")
    elif kind == "story" and text.strip():
        yield Finding(post.file, where, "variant.format", f"an Instagram story shows no "
                      f"text: the text for {channel} is not sent", Severity.WARNING)


def _facebook_reel(post: Post, channel: str, media: tuple[Media, ...], ctx: Context
                   ) -> Iterator[Finding]:
    """A Facebook Page reel: one video within the Reels Publishing API's limits, read from
    the file (:func:`cmops.text.reels.reel_refusals`, which the adapter runs again before it
    sends), reported on the video's path."""
    if len(media) != 1:
        yield Finding(post.file, _field(post, channel, "facebook", "format"), "variant.format",
                      f"a Facebook reel is one video; {channel} has {len(media)} media")
        return
    info = ctx.media.get(media[0].path)
    if info is None or not info.exists or not info.inside or info.mime is None:
        return  # missing, outside the repository or of no known type: the media rules say so
    at = (*_field(post, channel, "facebook", "media"), 0, "path")
    if not info.mime.startswith("video/"):
        yield Finding(post.file, at, "variant.format", f"a Facebook reel is a video: "
                      f"'{media[0].path}' is not one")
        return
    for message in reel_refusals(FACEBOOK_REEL, media[0].path, info.video,
                                 f"{channel} (facebook)"):
        yield Finding(post.file, at, "variant.format", message)


PINTEREST_OPTIONS = {"title": 100}
"""The variant fields a pin takes, with their most characters (POST /v5/pins, PinCreate)."""


def _pinterest_findings(post: Post, channel: str, network: str) -> Iterator[Finding]:
    """On a Pinterest channel, a variant's fields beside the common ones are a pin's
    (``title:``, at most 100 characters); any other network's field is refused."""
    if network != "pinterest":
        return
    for key, value in variant_options(post, channel, network).items():
        name = next(n for n in (channel, network)
                    if n in post.variants and key in post.variants[n].options)
        at: Path = ("variants", name, key)
        if key not in PINTEREST_OPTIONS:
            yield Finding(post.file, at, "variant.pinterest", f"{channel} (pinterest) takes "
                          f"no {key}: (a pin's variant takes title:)", at_key=True)
        elif isinstance(value, str) and len(value) > PINTEREST_OPTIONS[key]:
            yield Finding(post.file, at, "variant.pinterest", f"a pin's {key} is {len(value)} "
                          f"characters; {channel} (pinterest) takes at most "
                          f"{PINTEREST_OPTIONS[key]}")


def check_reply(post: Post, ctx: Context) -> Iterator[Finding]:
    """A reply (``reply_to:``) answers one message on one channel's network, once: checked
    on drafts too, since ``cmops reply`` writes drafts and the URL is worth fixing early."""
    if post.reply_to is None:
        return
    if len(post.channels) != 1:
        yield Finding(post.file, ("channels",), "post.reply-to",
                      f"a reply goes to one channel, the one its message is on; this one has "
                      f"{len(post.channels)}", at_key=True)
    if post.repeat is not None:
        yield Finding(post.file, ("repeat",), "post.reply-to",
                      "a reply is sent once: remove repeat", at_key=True)
    for channel in post.channels[:1]:
        ch = ctx.calendar.channels.get(channel)
        if ch is None or (ch.network or "outbox") not in NETWORKS:
            continue  # references report an unknown channel or network
        network = ch.network or "outbox"
        if not NETWORKS[network].replies:
            yield Finding(post.file, ("reply_to",), "post.reply-to",
                          f"{channel} ({network}) takes no replies from cmops: answer there "
                          "by hand, or pick a channel whose network does")
            continue
        try:
            parse(network, post.reply_to)
        except BadReplyUrl as exc:
            yield Finding(post.file, ("reply_to",), "post.reply-to",
                          f"{channel} ({network}): {exc}")


def check_post_networks(post: Post, ctx: Context) -> Iterator[Finding]:
    calendar = ctx.calendar
    yield from check_reply(post, ctx)
    if post.status == "draft":
        return
    for channel in post.channels:
        ch = calendar.channels.get(channel)
        if ch is None or not ch.network or ch.network not in NETWORKS:
            continue
        rules = NETWORKS[ch.network]
        parts = _parts(post, channel, ch.network, calendar)
        posts = len(parts) - (parts[-1].kind == COMMENT)  # a first comment is the last part
        limit = ch.raw.get("max_chars")
        if not isinstance(limit, int):
            limit = None
        if posts > 1 and not rules.threads:
            yield Finding(post.file, _field(post, channel, ch.network, "thread"),
                          "text.no-threads",
                          f"{channel} ({ch.network}) has no threads: add a variant for "
                          f"{ch.network} or {channel} with thread: []", at_key=True)
        elif rules.max_thread is not None and posts > rules.max_thread:
            yield Finding(post.file, _field(post, channel, ch.network, "thread"),
                          "text.thread-too-long",
                          f"a thread of {posts} posts; {channel} ({ch.network}) takes at "
                          f"most {rules.max_thread} in a row", at_key=True)
        if post.variants:  # a format and a pin's fields are a variant's
            yield from _format_findings(post, channel, ch.network, parts[0].text,
                                        parts[0].media, ctx)
            if ch.network == "pinterest":
                yield from _pinterest_findings(post, channel, ch.network)
        for index, part in enumerate(parts):
            where = f" (part {index + 1})" if posts > 1 else ""
            if part.kind == COMMENT:
                where = " (first comment)"
                if not rules.first_comment:
                    yield Finding(post.file, _part_path(post, channel, ch.network, index,
                                                        part.kind),
                                  "first-comment.unsupported",
                                  f"{channel} ({ch.network}) takes no first comment: add a "
                                  f"variant for {ch.network} or {channel} with "
                                  'first_comment: ""', at_key=True)
                    continue
            if not part.text.strip() and not part.media:
                yield Finding(post.file, _part_path(post, channel, ch.network, index,
                                                    part.kind), "text.empty",
                              f"nothing to send on {channel}{where}: the text is empty and "
                              "there is no media")
                continue
            for problem in check(ch.network, part.text, limit_override=limit,
                                 with_media=bool(part.media)):
                yield Finding(post.file, _part_path(post, channel, ch.network, index,
                                                    part.kind), "text.too-long",
                              f"{problem} on {channel}{where}")
            for hint in advice(ch.network, part.text):
                yield Finding(post.file, _part_path(post, channel, ch.network, index,
                                                    part.kind), "text.hashtags",
                              f"{hint} ({channel})", Severity.WARNING)
            if part.media or post.reply or (index == 0 and rules.media.required):
                # With no media, no reply and none required, nothing can be refused.
                yield from _media(post, ctx, channel, ch.network, index, part.media)
            if part.media and rules.fetches_media and not ch.raw.get("media_base_url"):
                yield Finding(post.file, _field(post, channel, ch.network, "media")
                              if index == 0 else _part_path(post, channel, ch.network, index),
                              "media.no-public-url",
                              f"{channel} ({ch.network}) fetches images from a public URL: set "
                              "media_base_url on the channel (where the site or a bucket "
                              "serves the repository's media)")


def _media(post: Post, ctx: Context, channel: str, network: str, index: int,
           media: tuple[Media, ...]) -> Iterator[Finding]:
    """What the channel's adapter cannot send among one part's media, by the declaration it
    checks again before sending (:meth:`NetworkRules.media_refusals`)."""
    base = _field(post, channel, network, "media") if index == 0 else \
        (*_field(post, channel, network, "thread"), index - 1, "media")
    attachments = []
    for item in media:
        info = ctx.media.get(item.path)
        known = info is not None and info.exists and info.inside
        attachments.append(Attachment(item.path, info.mime if known and info else None,
                                      info.size if known and info else 0, item.alt,
                                      video=info.video if known and info else None,
                                      image=info.image if known and info else None))
    rules = NETWORKS[network]
    ch = ctx.calendar.channels.get(channel)
    prepares = not sends_original(rules, ch.raw if ch else {})
    for refusal in rules.media_refusals(attachments, f"{channel} ({network})",
                                        first=index == 0, prepares=prepares,
                                        reply=post.reply):
        if refusal.rule == "media.required":
            path = _field(post, channel, network, "text")
        elif refusal.index is None:
            path = base
        else:
            leaf = "alt" if refusal.rule == "media.alt-too-long" else "path"
            path = (*base, refusal.index, leaf)
        yield Finding(post.file, path, refusal.rule, refusal.message)


def token_warnings(calendar: Calendar, today: date) -> Iterator[Finding]:
    """Channels whose configured token expiry is near: needs today's date, so it runs outside
    the cached rules (the CLI passes it; the core never reads the clock)."""
    for name, ch in sorted(calendar.channels.items()):
        text = ch.raw.get("token_expires")
        if not isinstance(text, str):
            continue
        try:
            expires = date.fromisoformat(text)
        except ValueError:
            continue
        left = (expires - today).days
        if left <= TOKEN_WARNING_DAYS:
            when = f"expired {-left} day(s) ago" if left < 0 else f"expires in {left} day(s)"
            yield Finding(calendar.channels_file, ("channels", name, "token_expires"),
                          "channel.token-expiring",
                          f"the token of {name} {when} ({text}): renew it and update the "
                          "secret and token_expires", Severity.WARNING)


def version_warnings(calendar: Calendar, today: date) -> Iterator[Finding]:
    """Channels whose API version (set, or cmops's default) ends within 60 days or has
    ended; like :func:`token_warnings` it needs today's date, so it runs outside the cached
    rules."""
    for name, ch in sorted(calendar.channels.items()):
        network = ch.network or "outbox"
        versioning = apiversions.BY_NETWORK.get(network)
        if versioning is None:
            continue
        configured = "version" in ch.raw
        version = apiversions.version_of(network, dict(ch.raw))
        where = ("channels", name, "version" if configured else "network")
        if version is None:
            continue
        if not versioning.valid(version):
            yield Finding(calendar.channels_file, where, "channel.api-version",
                          f"{name}: '{version}' is not a {versioning.api} (like "
                          f"{versioning.default})")
            continue
        end = apiversions.ending(network, version, today)
        if end is not None:
            yield Finding(calendar.channels_file, where, "channel.api-version",
                          end.message(name, configured),
                          Severity.ERROR if end.past else Severity.WARNING)


def dated_findings(calendar: Calendar, today: date) -> Iterator[Finding]:
    """Every finding that depends on today's date: tokens and API versions near their end."""
    yield from token_warnings(calendar, today)
    yield from version_warnings(calendar, today)
