"""A strict loopback X API v2: a real HTTP server on 127.0.0.1 that checks every request the
way the documented contract does (xdevplatform ``openapi.json``; platforms.md §4).

``POST /2/tweets``: OAuth 1.0a (signature verified with the four secrets) or a bearer user
token; JSON only; ``additionalProperties: false`` at every level (unknown key → 400); text at
most 280 weighted characters (twitter-text v3); ``media_ids`` must have been uploaded, the
reply target must exist; identical text to an earlier post → 403 "duplicate content"; 201
``{data: {id, text, edit_history_tweet_ids}}``. ``POST /2/media/upload`` (multipart ``media``
and ``media_category``), ``POST /2/media/metadata`` (alt text ≤ 1000), ``GET /2/users/me`` and
``GET /2/users/:id/tweets`` (newest first, ``start_time``, pages of ``max_results`` with
``next_token``; links come back as t.co links and ``&`` as ``&amp;``, as X returns them).
``read_forbidden`` makes reads answer the 403 "client-not-enrolled" of a tier without reads,
``read_453`` the older 403 with error code 453.

Reads for ``cmops collect`` (only documented query parameters, else 400): ``GET /2/tweets``
(``ids`` ≤ 100, ``public_metrics`` from ``metrics[id]``; an unknown id is listed under
``errors``), ``GET /2/users/me?user.fields=public_metrics`` (``followers``), ``GET
/2/users/:id/mentions`` (``mentions`` by the ``others`` users; newest first, ``since_id``,
``max_results`` 5-100, ``next_token`` pages, ``includes.users`` with ``expansions=author_id``)
and ``GET /2/users/:id/tweets?since_id=`` (with ``referenced_tweets`` for our replies).

Faults, consumed one per ``POST /2/tweets``: ``drop``, ``accept-then-drop``, ``500``/``503``,
``429`` (``x-rate-limit-reset`` epoch seconds, 15 s ahead), ``429-retry-after``,
``duplicate``, ``status:NNN``, ``echo`` (a 401 that repeats the Authorization header),
``slow:SECONDS``.

OAuth 1.0a signatures are verified with ``oauthlib`` (RFC 5849), not with cmops's own signing
code, so a signing bug in cmops cannot be mirrored by the fake: query parameters are signed
always, body parameters only for an ``application/x-www-form-urlencoded`` body (never JSON or
multipart, §3.4.1.3.1). A wrong key, token or signature is a 401, as X answers.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from oauthlib.oauth1.rfc5849 import signature as rfc5849
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape
from tests.fakes.loopback import Loopback, Refusal, multipart

from cmops.text.twitter import extract_urls, weighted_length

TWEET_KEYS = {"text", "media", "reply", "quote_tweet_id", "poll", "reply_settings",
              "edit_options", "community_id", "made_with_ai", "paid_partnership", "nullcast",
              "geo", "card_uri", "for_super_followers_only", "direct_message_deep_link",
              "share_with_followers"}
REPLY_KEYS = {"in_reply_to_tweet_id", "exclude_reply_user_ids", "auto_populate_reply_metadata"}
MEDIA_KEYS = {"media_ids", "tagged_user_ids"}
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."


def problem(status: int, title: str, detail: str, **extra: Any) -> Refusal:
    return Refusal(status, {"title": title, "detail": detail, "type": "about:blank",
                            "status": status, **extra})


def invalid(message: str) -> Refusal:
    return Refusal(400, {"errors": [{"message": message}], "title": "Invalid Request",
                         "detail": "One or more parameters to your request was invalid.",
                         "type": "https://api.twitter.com/2/problems/invalid-request"})


class FakeX(Loopback):
    publish_paths = ("/2/tweets",)

    def __init__(self, *, api_key: str = "xk-consumer-key-canary-0001",
                 api_secret: str = "xs-consumer-secret-canary-0002",
                 access_token: str = "42-access-token-canary-0003",
                 access_secret: str = "xa-access-secret-canary-0004",
                 bearer: str = "x-oauth2-user-token-canary-0005") -> None:
        super().__init__()
        self.secrets = {"api_key": api_key, "api_secret": api_secret,
                        "access_token": access_token, "access_secret": access_secret}
        self.bearer = bearer
        self.user = {"id": "4200000000", "name": "cmops", "username": "cmops_test"}
        self.tweets: list[dict[str, Any]] = []
        """Accepted posts, oldest first, as X keeps them (with the request that made them)."""
        self.media: dict[str, dict[str, Any]] = {}
        self.read_forbidden = False
        self.next_id = 1_860_000_000_000_000_000
        self.read_453 = False
        self.metrics: dict[str, dict[str, int]] = {}
        self.followers = 0
        self.others: dict[str, dict[str, Any]] = {}
        self.mentions: list[dict[str, Any]] = []
        """Posts by others that mention the account, oldest first."""
        self.public: list[dict[str, Any]] = []
        """Posts by others that do not mention the account (what search can find)."""

    def post(self, text: str, *, at: datetime | None = None) -> dict[str, Any]:
        """Put a post on the account (as if made elsewhere)."""
        with self.lock:
            self.next_id += 1
            tweet = {"id": str(self.next_id), "text": text, "created_at": (
                at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "body": {}}
            self.tweets.append(tweet)
        return tweet

    def fault(self, fault: str, request: dict[str, Any]) -> None:
        if fault in ("500", "503"):
            raise problem(int(fault), "Service Unavailable", "Service Unavailable")
        if fault == "429":
            raise Refusal(429, {"title": "Too Many Requests", "detail": "Too Many Requests",
                                "type": "about:blank", "status": 429},
                          {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                           "x-rate-limit-reset": str(int(time.time()) + 15)})
        if fault == "429-retry-after":
            raise Refusal(429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
                          {"Retry-After": "3"})
        if fault == "duplicate":
            raise problem(403, "Forbidden", DUPLICATE)
        if fault.startswith("status:"):
            raise problem(int(fault[7:]), "Injected", f"injected {fault}")
        if fault == "echo":
            raise problem(401, "Unauthorized",
                          f"Unauthorized: {request['headers'].get('Authorization')}")

    def _authorized(self, request: dict[str, Any]) -> None:
        header = request["headers"].get("Authorization", "")
        if header == f"Bearer {self.bearer}":
            return
        if header.startswith("OAuth ") and self._signed(request, header):
            return
        raise problem(401, "Unauthorized", "Unauthorized")

    def _signed(self, request: dict[str, Any], header: str) -> bool:
        """RFC 5849 §3.2, by oauthlib: right consumer key and token, HMAC-SHA1 over the
        method, URL, query, OAuth fields and (form bodies only) body parameters."""
        try:
            fields = {k: unescape(v) for k, v in parse_authorization_header(header)}
        except ValueError:
            return False
        form = request["headers"].get("Content-Type", "").split(";")[0].strip() == \
            "application/x-www-form-urlencoded"
        params = rfc5849.collect_parameters(
            uri_query=request["raw_query"], body=request["body"].decode() if form else None,
            headers={"Authorization": header}, exclude_oauth_signature=True)
        signed = SimpleNamespace(
            http_method=request["method"], params=params,
            uri=self.url + request["path"], signature=fields.get("oauth_signature", ""))
        return fields.get("oauth_signature_method") == "HMAC-SHA1" and \
            fields.get("oauth_consumer_key") == self.secrets["api_key"] and \
            fields.get("oauth_token") == self.secrets["access_token"] and \
            bool(rfc5849.verify_hmac_sha1(signed, self.secrets["api_secret"],
                                          self.secrets["access_secret"]))

    def _json(self, request: dict[str, Any]) -> Any:
        if request["headers"].get("Content-Type", "").split(";")[0] != "application/json":
            raise invalid("Content-Type must be application/json")
        try:
            return json.loads(request["body"])
        except ValueError:
            raise invalid("Request body is not valid JSON") from None

    def route(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        self._authorized(request)
        path, method = request["path"], request["method"]
        if (method, path) == ("POST", "/2/tweets"):
            return 201, {"data": self._create(self._json(request))}, {}
        if (method, path) == ("POST", "/2/media/upload"):
            return 200, {"data": self._upload(request)}, {}
        if (method, path) == ("POST", "/2/media/metadata"):
            return 200, {"data": self._alt(self._json(request))}, {}
        if self.read_453 and method == "GET":
            raise Refusal(403, {"errors": [{"code": 453, "message": "You currently have access "
                                            "to a subset of X API V2 endpoints and limited v1.1 "
                                            "endpoints only."}]})
        if self.read_forbidden and method == "GET":
            raise Refusal(403, {"title": "Client Forbidden", "reason": "client-not-enrolled",
                                "detail": "When authenticating requests to the Twitter API v2 "
                                "endpoints, you must use keys and tokens from a Twitter "
                                "developer App that is attached to a Project.",
                                "type": "https://api.twitter.com/2/problems/client-forbidden"})
        if (method, path) == ("GET", "/2/users/me") and request["query"]:
            return 200, self._me(request["query"]), {}
        if (method, path) == ("GET", "/2/users/me"):
            return 200, {"data": self.user}, {}
        if (method, path) == ("GET", "/2/tweets"):
            return 200, self._lookup(request["query"]), {}
        if (method, path) == ("GET", "/2/tweets/search/recent"):
            return 200, self._search(request["query"]), {}
        if method == "GET" and path == f"/2/users/{self.user['id']}/mentions":
            return 200, self._mentions(request["query"]), {}
        if method == "GET" and path == f"/2/users/{self.user['id']}/tweets" and \
                "since_id" in request["query"]:
            return 200, self._since(request["query"]), {}
        if method == "GET" and path == f"/2/users/{self.user['id']}/tweets":
            return 200, self._timeline(request["query"]), {}
        raise problem(404, "Not Found Error", f"no route {method} {path}")

    def _create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) - TWEET_KEYS:
            raise invalid(f"[{', '.join(sorted(set(body) - TWEET_KEYS))}] is not one of "
                          "the allowed properties")
        for name, keys in (("reply", REPLY_KEYS), ("media", MEDIA_KEYS)):
            if name in body and (not isinstance(body[name], dict) or set(body[name]) - keys):
                raise invalid(f"$.{name} has properties that are not allowed")
        text = body.get("text", "")
        if not isinstance(text, str) or weighted_length(text) > 280:
            raise problem(403, "Forbidden", "You are not permitted to perform this action.")
        media = (body.get("media") or {}).get("media_ids", [])
        if not 0 <= len(media) <= 4 or any(m not in self.media for m in media):
            raise invalid("$.media.media_ids names media that were not uploaded")
        reply = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply is not None and not any(t["id"] == reply for t in self.tweets):
            raise invalid(f"The post {reply} does not exist")
        if not media and not text:
            raise invalid("$.text is required unless media is given")
        if any(t["text"] == text for t in self.tweets):
            raise problem(403, "Forbidden", DUPLICATE)
        tweet = self.post(text)
        tweet["body"] = body
        return {"id": tweet["id"], "text": text, "edit_history_tweet_ids": [tweet["id"]]}

    def _upload(self, request: dict[str, Any]) -> dict[str, Any]:
        kind = request["headers"].get("Content-Type", "")
        if not kind.startswith("multipart/form-data"):
            raise invalid("media upload must be multipart/form-data")
        fields = multipart(kind, request["body"])
        if set(fields) - {"media", "media_category", "media_type", "shared",
                          "additional_owners"} or "media" not in fields:
            raise invalid("unexpected form fields")
        category = fields.get("media_category", (None, "", b""))[2].decode()
        if category not in ("tweet_image", "tweet_gif", "dm_image", "subtitles"):
            raise invalid(f"media_category {category!r} is not allowed here")
        data = fields["media"][2]
        if len(data) > 5_000_000:
            raise invalid("media is larger than 5 MB")
        with self.lock:
            media_id = str(1_880_000_000_000_000_000 + len(self.media))
            self.media[media_id] = {"bytes": data, "category": category, "alt": None}
        return {"id": media_id, "media_key": f"3_{media_id}", "size": len(data),
                "expires_after_secs": 86400, "image": {"w": 1, "h": 1, "image_type": "png"}}

    def _alt(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) != {"id", "metadata"} or \
                set(body["metadata"]) != {"alt_text"} or set(body["metadata"]["alt_text"]) \
                != {"text"}:
            raise invalid("metadata body has properties that are not allowed")
        text = body["metadata"]["alt_text"]["text"]
        if body["id"] not in self.media or not isinstance(text, str) or len(text) > 1000:
            raise invalid("unknown media id or alt text over 1000 characters")
        self.media[body["id"]]["alt"] = text
        return {"id": body["id"], "associated_metadata": {"alt_text": {"text": text}}}

    def _timeline(self, query: dict[str, list[str]]) -> dict[str, Any]:
        size = int(query.get("max_results", ["10"])[0])
        if not 5 <= size <= 100:
            raise invalid("max_results must be between 5 and 100")
        since = query.get("start_time", [""])[0]
        newest_first = [t for t in reversed(self.tweets) if not since or t["created_at"] >=
                        since.replace("Z", ".000Z")]
        start = int(query.get("pagination_token", ["0"])[0])
        page = newest_first[start:start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if start + size < len(newest_first):
            meta["next_token"] = str(start + size)
        return {"data": [{"id": t["id"], "text": _as_x_shows(t), "created_at": t["created_at"],
                          "edit_history_tweet_ids": [t["id"]]} for t in page], "meta": meta}


    # -- reads for cmops collect ------------------------------------------------------------
    def mention(self, author: str, text: str, **fields: Any) -> dict[str, Any]:
        """A post by ``author`` (a key of ``others``) that mentions the account."""
        with self.lock:
            self.next_id += 1
            tweet = {"id": str(self.next_id), "text": text, "author_id": author,
                     "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                     **fields}
            self.mentions.append(tweet)
        return tweet

    def said(self, author: str, text: str) -> dict[str, Any]:
        """A public post by ``author`` that does not mention the account."""
        with self.lock:
            self.next_id += 1
            tweet = {"id": str(self.next_id), "text": text, "author_id": author,
                     "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
            self.public.append(tweet)
        return tweet

    def answer(self, text: str, to: str) -> dict[str, Any]:
        """A reply by the account (as if made elsewhere)."""
        tweet = self.post(text)
        tweet["body"] = {"text": text, "reply": {"in_reply_to_tweet_id": to}}
        return tweet

    @staticmethod
    def _only(query: dict[str, list[str]], allowed: set[str]) -> dict[str, str]:
        unknown = set(query) - allowed
        if unknown or any(len(v) != 1 for v in query.values()):
            raise invalid(f"The query parameter [{sorted(unknown or query)[0]}] is not one of "
                          f"{sorted(allowed)}")
        return {k: v[0] for k, v in query.items()}

    @staticmethod
    def _fields(value: str, known: set[str]) -> set[str]:
        fields = set(value.split(",")) if value else set()
        if fields - known:
            raise invalid(f"The field {sorted(fields - known)[0]} is not a valid field")
        return fields

    def _me(self, query: dict[str, list[str]]) -> dict[str, Any]:
        q = self._only(query, {"user.fields", "expansions", "tweet.fields"})
        fields = self._fields(q.get("user.fields", ""), USER_FIELDS)
        data: dict[str, Any] = dict(self.user)
        if "public_metrics" in fields:
            data["public_metrics"] = {"followers_count": self.followers, "following_count": 3,
                                      "tweet_count": len(self.tweets), "listed_count": 0}
        return {"data": data}

    def _lookup(self, query: dict[str, list[str]]) -> dict[str, Any]:
        q = self._only(query, {"ids", "tweet.fields", "expansions", "user.fields",
                               "media.fields", "place.fields", "poll.fields"})
        ids = q.get("ids", "").split(",")
        if not q.get("ids") or len(ids) > 100 or not all(re.fullmatch(r"\d{1,19}", i)
                                                         for i in ids):
            raise invalid("ids must be 1 to 100 numeric ids")
        fields = self._fields(q.get("tweet.fields", ""), TWEET_FIELDS)
        mine = {t["id"]: t for t in self.tweets}
        data, errors = [], []
        for i in ids:
            if i not in mine:
                errors.append({"value": i, "detail": f"Could not find tweet with ids: [{i}].",
                               "title": "Not Found Error", "resource_type": "tweet",
                               "parameter": "ids", "resource_id": i,
                               "type": "https://api.twitter.com/2/problems/resource-not-found"})
                continue
            tweet: dict[str, Any] = {"id": i, "text": _as_x_shows(mine[i]),
                                     "edit_history_tweet_ids": [i]}
            if "public_metrics" in fields:
                tweet["public_metrics"] = self.metrics.get(i, {
                    "retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0,
                    "bookmark_count": 0})
            data.append(tweet)
        body: dict[str, Any] = {"data": data} if data else {}
        return {**body, "errors": errors} if errors else body

    def _page(self, tweets: list[dict[str, Any]], q: dict[str, str]) -> tuple[
            list[dict[str, Any]], dict[str, Any]]:
        size = int(q.get("max_results", "10"))
        if not 5 <= size <= 100:
            raise invalid("max_results must be between 5 and 100")
        since = q.get("since_id")
        if since is not None and not since.isdigit():
            raise invalid("since_id must be a post id")
        newest = [t for t in reversed(tweets) if since is None or int(t["id"]) > int(since)]
        start = int(q.get("pagination_token", "0"))
        page = newest[start:start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if start + size < len(newest):
            meta["next_token"] = str(start + size)
        return page, meta

    def _mentions(self, query: dict[str, list[str]]) -> dict[str, Any]:
        q = self._only(query, {"since_id", "until_id", "max_results", "pagination_token",
                               "start_time", "end_time", "tweet.fields", "expansions",
                               "user.fields", "media.fields", "place.fields", "poll.fields"})
        fields = self._fields(q.get("tweet.fields", ""), TWEET_FIELDS)
        user_fields = self._fields(q.get("user.fields", ""), USER_FIELDS)
        page, meta = self._page(self.mentions, q)
        keep = fields | {"id", "text"}
        data = [{k: v for k, v in t.items() if k in keep} for t in page]
        body: dict[str, Any] = {"data": data, "meta": meta} if data else {"meta": meta}
        if data and "author_id" in self._fields(q.get("expansions", ""), {"author_id"}):
            users = []
            for author in dict.fromkeys(t["author_id"] for t in page):
                user = self.others[author]
                users.append({k: v for k, v in user.items()
                              if k in user_fields | {"id", "name", "username"}})
            body["includes"] = {"users": users}
        return body

    def _search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """Recent search over the mentions and ``public`` posts of others: the query's
        terms (ORed, quoted phrases allowed) must appear in the text, case-insensitively."""
        q = self._only(query, {"query", "since_id", "until_id", "max_results", "next_token",
                               "start_time", "end_time", "sort_order", "tweet.fields",
                               "expansions", "user.fields", "media.fields", "place.fields",
                               "poll.fields"})
        if "query" not in q or len(q["query"]) > 512:
            raise invalid("The `query` query parameter can not be empty or over 512 "
                          "characters")
        if "pagination_token" in query:
            raise invalid("search pages with next_token, not pagination_token")
        main = q["query"].split(" -", 1)[0].strip("() ")
        terms = [t.strip().strip('"').lower() for t in main.split(" OR ") if t.strip()]
        corpus = sorted(self.mentions + self.public, key=lambda t: int(t["id"]))
        hits = [t for t in corpus if any(term in t["text"].lower() for term in terms)]
        q = {k: v for k, v in q.items() if k != "next_token"} | (
            {"pagination_token": q["next_token"]} if "next_token" in q else {})
        fields = self._fields(q.get("tweet.fields", ""), TWEET_FIELDS)
        user_fields = self._fields(q.get("user.fields", ""), USER_FIELDS)
        page, meta = self._page(hits, q)
        keep = fields | {"id", "text"}
        data = [{k: v for k, v in t.items() if k in keep} for t in page]
        body: dict[str, Any] = {"data": data, "meta": meta} if data else {"meta": meta}
        if data:
            body["includes"] = {"users": [
                {k: v for k, v in self.others[a].items()
                 if k in user_fields | {"id", "name", "username"}}
                for a in dict.fromkeys(t["author_id"] for t in page)]}
        return body

    def _since(self, query: dict[str, list[str]]) -> dict[str, Any]:
        q = self._only(query, {"since_id", "until_id", "max_results", "pagination_token",
                               "start_time", "end_time", "exclude", "tweet.fields",
                               "expansions", "user.fields", "media.fields", "place.fields",
                               "poll.fields"})
        fields = self._fields(q.get("tweet.fields", ""), TWEET_FIELDS)
        page, meta = self._page(self.tweets, q)
        data = []
        for t in page:
            tweet = {"id": t["id"], "text": _as_x_shows(t), "edit_history_tweet_ids": [t["id"]]}
            if "created_at" in fields:
                tweet["created_at"] = t["created_at"]
            reply = (t["body"].get("reply") or {}).get("in_reply_to_tweet_id")
            if "referenced_tweets" in fields and reply:
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply}]
            data.append(tweet)
        return {"data": data, "meta": meta} if data else {"meta": meta}


TWEET_FIELDS = {"attachments", "author_id", "context_annotations", "conversation_id",
                "created_at", "edit_controls", "entities", "geo", "id", "in_reply_to_user_id",
                "lang", "non_public_metrics", "organic_metrics", "possibly_sensitive",
                "promoted_metrics", "public_metrics", "referenced_tweets", "reply_settings",
                "source", "text", "withheld", "note_tweet", "edit_history_tweet_ids"}
USER_FIELDS = {"created_at", "description", "entities", "id", "location", "name",
               "pinned_tweet_id", "profile_image_url", "protected", "public_metrics", "url",
               "username", "verified", "verified_type", "withheld"}


def _as_x_shows(tweet: dict[str, Any]) -> str:
    """Links become t.co links, ``&<>`` are escaped, a media post ends with its own link."""
    text: str = tweet["text"]
    for url in reversed(extract_urls(text)):
        text = f"{text[:url.start]}https://t.co/{abs(hash(url.url)) % 10**10:010d}" \
               f"{text[url.end:]}"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if (tweet["body"].get("media") or {}).get("media_ids"):
        text += " https://t.co/MediaLink1"
    return text


def earlier(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)
