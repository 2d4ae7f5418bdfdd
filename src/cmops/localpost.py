"""A Google Business Profile local post's own fields, as a post's ``google_business``
variant (or a channel's variant) writes them, checked and turned into the API's
``LocalPost`` (developers.google.com/my-business/reference/rest/v4/accounts.locations.
localPosts): one module read by validation (:func:`problems`), the adapter (:func:`body`)
and the docs, so what validate accepts is what is sent.

::

    variants:
      google_business:
        topic: event               # standard ("What's new", the default), event or offer
        event:                     # events and offers: the title and the window
          title: Spring open day
          start: 2027-04-03T10:00  # the location's local time; a date alone: all day
          end: 2027-04-03T17:00
        offer:                     # offers only
          coupon: SPRING10
          redeem_url: https://shop.example.org/spring
          terms: One per customer.
        call_to_action:            # not on offers (Google ignores it there)
          action: book             # book, order, shop, learn_more, sign_up, call
          url: https://shop.example.org/book   # every action but call, which has none

Core: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

FIELDS = ("topic", "event", "offer", "call_to_action")
"""The variant fields only Google Business Profile reads (``Variant.options``)."""
TOPICS = {"standard": "STANDARD", "event": "EVENT", "offer": "OFFER"}
"""``topic:`` -> ``topicType`` (LocalPostTopicType; ``ALERT`` is Google's own, and
``PRODUCT`` is not offered through the API)."""
ACTIONS = {"book": "BOOK", "order": "ORDER", "shop": "SHOP", "learn_more": "LEARN_MORE",
           "sign_up": "SIGN_UP", "call": "CALL"}
"""``call_to_action.action`` -> ``actionType`` (ActionType; ``GET_OFFER`` is deprecated)."""
OFFER_FIELDS = {"coupon": "couponCode", "redeem_url": "redeemOnlineUrl",
                "terms": "termsConditions"}
"""``offer:`` -> LocalPostOffer."""
_WHEN = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}))?$")

Problem = tuple[tuple[str, ...], str]
"""Where in the variant (``("event", "end")``) and what is wrong."""


def _when(text: Any) -> tuple[date, tuple[int, int] | None] | None:
    found = _WHEN.match(text) if isinstance(text, str) else None
    if found is None:
        return None
    try:
        day = date.fromisoformat(found[1])
        clock = (int(found[2]), int(found[3])) if found[2] else None
        if clock is not None:
            datetime(day.year, day.month, day.day, *clock)  # 24:00 or 10:61: refused
    except ValueError:
        return None
    return day, clock


def problems(options: Mapping[str, Any]) -> list[Problem]:
    """What Google would refuse, or silently drop, in a local post's fields (the shapes are
    the schema's; these are the rules across fields)."""
    out: list[Problem] = []
    topic = options.get("topic", "standard")
    event, offer, button = (options.get(k) for k in ("event", "offer", "call_to_action"))
    if topic not in TOPICS:
        return [(("topic",), f"topic is one of {', '.join(TOPICS)}, not {topic!r}")]
    if topic in ("event", "offer") and not isinstance(event, Mapping):
        out.append((("topic",), f"a local post with topic: {topic} needs event: with its "
                                "title, start and end" + (" (the offer's window)"
                                                          if topic == "offer" else "")))
    if topic == "standard" and event is not None:
        out.append((("event",), "event: is for topic: event or offer (set the topic)"))
    if offer is not None and topic != "offer":
        out.append((("offer",), "offer: is for topic: offer (set the topic)"))
    if isinstance(event, Mapping):
        title = event.get("title")
        if not isinstance(title, str) or not title.strip():
            out.append((("event", "title"), "an event or offer needs a title"))
        start, end = _when(event.get("start")), _when(event.get("end"))
        for name, found in (("start", start), ("end", end)):
            if found is None:
                out.append((("event", name), f"event {name} is a date (2027-04-03) or a "
                                             "local date and time (2027-04-03T10:00), "
                                             f"not {event.get(name)!r}"))
        if start is not None and end is not None:
            if (start[1] is None) != (end[1] is None):
                out.append((("event", "end"), "give both start and end a time, or neither "
                                              "(a date alone is the whole day)"))
            elif (end[0], end[1] or (0, 0)) < (start[0], start[1] or (0, 0)):
                out.append((("event", "end"), "the event ends before it starts"))
    if isinstance(button, Mapping):
        action, url = button.get("action"), button.get("url")
        if topic == "offer":
            out.append((("call_to_action",), "Google ignores a call_to_action on an offer "
                                             "(its button is the offer's own): remove it"))
        elif action not in ACTIONS:
            out.append((("call_to_action", "action"), "action is one of "
                        f"{', '.join(ACTIONS)}, not {action!r}"))
        elif action == "call" and url is not None:
            out.append((("call_to_action", "url"), "a call button dials the location's "
                                                   "phone number: it takes no url"))
        elif action != "call" and not (isinstance(url, str) and url.startswith(
                ("https://", "http://"))):
            out.append((("call_to_action", "url"), f"a {action} button needs the url it "
                                                   "opens (https://...)"))
    return out


def _schedule(event: Mapping[str, Any]) -> dict[str, Any]:
    """TimeInterval: ``startDate``/``endDate`` as Date, ``startTime``/``endTime`` as
    TimeOfDay (left out for a whole day)."""
    out: dict[str, Any] = {}
    for name in ("start", "end"):
        found = _when(event.get(name))
        if found is None:
            raise ValueError(f"event {name} {event.get(name)!r} is not a date")
        day, clock = found
        out[f"{name}Date"] = {"year": day.year, "month": day.month, "day": day.day}
        if clock is not None:
            out[f"{name}Time"] = {"hours": clock[0], "minutes": clock[1], "seconds": 0,
                                  "nanos": 0}
    return out


def body(options: Mapping[str, Any], summary: str, lang: str | None) -> dict[str, Any]:
    """The ``LocalPost`` to create (without its photo): ``topicType``, ``summary``,
    ``languageCode``, ``event``, ``offer`` and ``callToAction``. Raises ValueError, with
    every problem, when :func:`problems` finds any (validation refused them first)."""
    found = problems(options)
    if found:
        raise ValueError("; ".join(message for _, message in found))
    topic = str(options.get("topic", "standard"))
    post: dict[str, Any] = {"topicType": TOPICS[topic]}
    if summary:
        post["summary"] = summary
    if lang:
        post["languageCode"] = lang
    event = options.get("event")
    if isinstance(event, Mapping):
        post["event"] = {"title": str(event["title"]), "schedule": _schedule(event)}
    offer = options.get("offer")
    if topic == "offer":
        given = offer if isinstance(offer, Mapping) else {}
        post["offer"] = {api: str(given[name]) for name, api in OFFER_FIELDS.items()
                         if given.get(name)}
    button = options.get("call_to_action")
    if isinstance(button, Mapping):
        post["callToAction"] = {"actionType": ACTIONS[str(button["action"])]}
        if button.get("url"):
            post["callToAction"]["url"] = str(button["url"])
    return post
