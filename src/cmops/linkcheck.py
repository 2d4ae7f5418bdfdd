"""``cmops validate --check-links``: every outbound link of a post answers (I/O edge).

Off by default (validation stays offline and fast). Each distinct URL is asked once with
``HEAD`` (``GET`` when the server refuses ``HEAD``), redirects followed up to 5 times, a few
requests at a time, a short timeout each, and at most ``limit`` URLs per run. 404 and 410 are
errors (the link is dead); other failures are warnings (the site may just be slow today).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx

from cmops.model import Calendar, Post
from cmops.problems import Finding, Path, Severity
from cmops.render import find_urls

DEFAULT_LIMIT = 500
TIMEOUT = 8.0
WORKERS = 8
DEAD = {404, 410}


def _links(post: Post) -> Iterator[tuple[Path, str]]:
    texts: list[tuple[Path, str]] = [(("text",), post.text)]
    texts += [(("thread", i, "text"), p.text) for i, p in enumerate(post.thread)]
    for name, variant in post.variants.items():
        if variant.text is not None:
            texts.append((("variants", name, "text"), variant.text))
    for path, text in texts:
        for start, end in find_urls(text or ""):
            yield path, text[start:end]
    if post.link:
        yield ("link",) if post.link.bare else ("link", "url"), post.link.url


def _probe(client: httpx.Client, url: str) -> tuple[int | None, str]:
    try:
        response = client.head(url)
        if response.status_code in (405, 501):
            response = client.get(url)
        return response.status_code, f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}"


def check_links(calendar: Calendar, *, limit: int = DEFAULT_LIMIT,
                transport: httpx.BaseTransport | None = None) -> list[Finding]:
    wanted: dict[str, list[tuple[Post, Path]]] = {}
    for post in calendar.posts:
        if post.status == "draft":
            continue
        for path, url in _links(post):
            wanted.setdefault(url, []).append((post, path))
    urls = sorted(wanted)[:limit]
    with httpx.Client(timeout=TIMEOUT, follow_redirects=True, max_redirects=5,
                      transport=transport,
                      headers={"User-Agent": "cmops link check"}) as client, \
            ThreadPoolExecutor(WORKERS) as pool:
        answers = dict(zip(urls, pool.map(lambda u: _probe(client, u), urls), strict=True))
    findings = []
    for url, (status, what) in answers.items():
        if status is not None and status < 400:
            continue
        severity = Severity.ERROR if status in DEAD else Severity.WARNING
        for post, path in wanted[url]:
            findings.append(Finding(post.file, path, "link.broken",
                                    f"{url} answers {what}" if status else
                                    f"{url} could not be reached ({what})", severity))
    if len(wanted) > limit:
        first = next(iter(wanted.values()))[0][0]
        findings.append(Finding(first.file, ("text",), "link.broken",
                                f"only the first {limit} of {len(wanted)} links were checked",
                                Severity.WARNING))
    return findings

