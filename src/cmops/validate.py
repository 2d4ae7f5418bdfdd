"""``cmops validate`` as a function: check every calendar file and the rules between them.

Usable from Python as ``validate(root)``; the CLI only renders the :class:`Report`.

Work is reused across runs at two levels (see :mod:`cmops.cache`): a file's parse and own
checks by its content hash, and a post's calendar checks by (content hash, context key, media
facts), where the context key covers every file post rules read besides the post itself.
A warm run therefore redoes only what a change can affect, and gives the same answer as a
cold one.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from cmops.cache import ValidateCache, digest
from cmops.content import FileResult, check_file, locate_findings
from cmops.gate import build_gate, fail_closed_pause
from cmops.model import Calendar, Campaign, Governance, Pause, Post, SavedReply
from cmops.plan import Recorded
from cmops.problems import Finding, Problem, Severity, cap
from cmops.rules import CALENDAR_RULES, POST_RULES, Context
from cmops.rules.context import MediaInfo
from cmops.rules.duplicates import name_lines
from cmops.rules.media import media_paths
from cmops.rules.networks import dated_findings
from cmops.rules.past import past_findings
from cmops.workspace import (
    KNOWN_OTHER,
    YAML_SUFFIXES,
    file_kind,
    list_calendar_files,
    media_info,
)

CACHE_PATH = ".cmops/cache/validate.marshal"


@dataclass(slots=True)
class Report:
    """The outcome of a validation run: every problem in every file."""

    root: Path
    files: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def load_files(root: Path, cache: ValidateCache | None) -> tuple[list[FileResult], list[Problem]]:
    """Read and check every calendar file on its own (reusing cached results)."""
    results: list[FileResult] = []
    extra: list[Problem] = []
    base = str(root)
    for f in list_calendar_files(root):
        if f.kind == "outside":
            extra.append(Problem(f.rel, 1, 1, "", "file.outside",
                                 f"{f.rel} is a symbolic link to a place outside the "
                                 "repository: cmops does not read it; put the file itself "
                                 "in the repository"))
            continue
        if f.kind == "unknown":
            if f.rel not in KNOWN_OTHER and not f.rel.startswith("calendar/replies/"):
                extra.append(Problem(f.rel, 1, 1, "", "file.unknown",
                                     "cmops does not read this file: posts go in "
                                     "calendar/posts/, campaigns in calendar/campaigns/",
                                     Severity.WARNING))
            continue
        entry = cache.stat_hit(f.rel, f.size, f.mtime_ns) if cache else None
        if entry is None:
            from cmops.yamlsafe import YamlError, read_bounded  # a cold read parses YAML anyway

            try:  # the size is checked before reading: a 2 GB file is never read whole
                raw = read_bounded(os.path.join(base, f.rel))
            except (YamlError, OSError) as err:
                rule, message = (err.rule, err.message) if isinstance(err, YamlError) else \
                    ("file.unreadable", f"cannot read the file: {err.strerror or err}")
                extra.append(Problem(f.rel, 1, 1, "", rule, message))
                continue
            file_digest = digest(raw)
            entry = cache.digest_hit(f.rel, file_digest) if cache else None
            if entry is None:
                result = check_file(f.rel, f.kind, raw, file_digest)
                if cache:
                    result.cache_entry = cache.put(f.rel, f.size, f.mtime_ns, result.as_cache())
                results.append(result)
                continue
            if cache:
                cache.put(f.rel, f.size, f.mtime_ns, entry)
        results.append(FileResult.from_cache(f.rel, entry))
    if not any(r.kind == "channels" for r in results):
        extra.append(Problem("calendar/channels.yaml", 1, 1, "", "file.missing",
                             "calendar/channels.yaml is missing: it declares the time zone and "
                             "the channels posts go to"))
    return results, extra


def build_calendar(results: Iterable[FileResult], with_posts: bool = True,
                   built: Mapping[str, Post] | None = None) -> Calendar:
    """The content model from loaded files, leniently (see :mod:`cmops.model`)."""
    calendar = Calendar()
    for result in results:
        if result.kind == "post" and not with_posts:
            continue
        data = result.data
        if not isinstance(data, dict):
            continue
        if result.kind == "post":
            if with_posts:
                post = built.get(result.rel) if built else None
                post = post or Post.from_raw(data, result.rel)
                if post is not None:
                    calendar.posts.append(post)
        elif result.kind == "campaign":
            campaign = Campaign.from_raw(data, result.rel)
            if campaign is not None:
                calendar.add_campaign(campaign)
        elif result.kind == "channels":
            calendar.add_channels_file(data, result.rel)
        elif result.kind == "pause":
            calendar.pause = Pause.from_raw(data, result.rel)
        elif result.kind == "rules":
            calendar.rules = Governance.from_raw(data, result.rel)
        elif result.kind == "reply":
            reply = SavedReply.from_raw(data, result.rel)
            if reply is not None:
                calendar.replies.append(reply)
    return calendar


def _context_key(results: Sequence[FileResult]) -> str:
    """Covers everything post rules read besides the post: channels and campaign files."""
    parts = sorted(f"{r.rel}:{r.digest}" for r in results if r.kind != "post")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=12).hexdigest()


def _stamp(paths: Sequence[str], media: dict[str, MediaInfo]) -> str:
    """What a post's media rules saw; a different stamp means they must run again."""
    return "\n".join(f"{p}\t{m.exists}\t{m.inside}\t{m.size}\t{m.mime}\t{m.video}\t{m.image}"
                     for p in paths for m in (media[p],))


def _read_text(root: Path, rel: str) -> str:
    from cmops.yamlsafe import YamlError, read_bounded  # only a file with findings needs YAML

    try:
        return read_bounded(root / rel).decode("utf-8")
    except (OSError, UnicodeDecodeError, YamlError):
        return ""


def _locate_all(root: Path, findings: Iterable[Finding]) -> list[Problem]:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[finding.file].append(finding)
    problems: list[Problem] = []
    for rel, items in by_file.items():
        problems.extend(locate_findings(_read_text(root, rel), items))
    return problems


def check_posts(root: Path, results: Sequence[FileResult], calendar: Calendar,
                cache: ValidateCache | None,
                built: dict[str, Post] | None = None) -> list[Problem]:
    """Post rules for every post, reusing a cached answer when nothing it reads changed.
    Posts built along the way are left in ``built`` (by file) for a caller that needs them."""
    ctx_key = _context_key(results)
    todo: list[tuple[FileResult, Post | None, list[str]]] = []
    for result in results:
        if result.kind != "post":
            continue
        cached = result.cache_entry.get("post") if result.cache_entry else None
        if cached and cached["ctx"] == ctx_key:
            todo.append((result, None, cached["media"]))
            continue
        if not isinstance(result.data, dict):
            continue
        post = Post.from_raw(result.data, result.rel)
        if post is not None:
            todo.append((result, post, sorted(media_paths(post))))
            if built is not None:
                built[result.rel] = post
    media = media_info(root, {p for _, _, paths in todo for p in paths})
    ctx = Context(calendar, media)
    problems: list[Problem] = []
    for result, post, paths in todo:
        stamp = _stamp(paths, media)
        cached = result.cache_entry.get("post") if result.cache_entry else None
        if post is None and cached and cached["stamp"] == stamp:
            problems.extend(Problem(result.rel, line, col, path, rule, message, Severity(sev))
                            for line, col, path, rule, message, sev in cached["problems"])
            continue
        if post is None:
            post = Post.from_raw(result.data, result.rel)
            assert post is not None  # it had an id when it was cached
        found = [f for rule in POST_RULES for f in rule(post, ctx)]
        located = cap(locate_findings(_read_text(root, result.rel), found)) if found else []
        problems.extend(located)
        if cache and result.cache_entry is not None:
            cache.set_post(result.rel, {
                "ctx": ctx_key, "media": paths, "stamp": stamp,
                "problems": [[p.line, p.column, p.path, p.rule, p.message, p.severity.value]
                             for p in located]})
    return problems


def _post_ids(results: Sequence[FileResult]) -> list[tuple[str, str]]:
    return [(post_id, r.rel) for r in results
            if r.kind == "post" and (post_id := r.post_id) is not None]


def _selected(rel: str, only: Sequence[str]) -> bool:
    return any(rel == p or rel.startswith(p.rstrip("/") + "/") for p in only)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the duration: a run allocates hundreds of
    thousands of long-lived objects (file data, nodes, posts), none of them in cycles, and the
    collector walked them again and again: about 15% of a cold run's CPU on 10,000 posts,
    for 3 MB less peak memory. Collection resumes (and finds any cycles) afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check(root: Path, use_cache: bool, built: dict[str, Post] | None = None
           ) -> tuple[list[FileResult], list[Problem]]:
    with _collector_paused():
        return _check_all(root, use_cache, built)


def _check_all(root: Path, use_cache: bool, built: dict[str, Post] | None = None
               ) -> tuple[list[FileResult], list[Problem]]:
    cache = ValidateCache(root / CACHE_PATH) if use_cache else None
    results, problems = load_files(root, cache)
    for result in results:
        problems.extend(result.problems)
    calendar = build_calendar(results, with_posts=False)
    problems.extend(check_posts(root, results, calendar, cache, built))
    if calendar.rules.min_spacing or calendar.rules.max_per_day:
        calendar = build_calendar(results)  # spacing and daily caps compare every post
    ctx = Context(calendar, post_ids=_post_ids(results),
                  sent=[s for r in results if r.kind == "post" and (s := r.sent) is not None])
    problems.extend(name_lines(_locate_all(root, (f for rule in CALENDAR_RULES
                                                   for f in rule(ctx)))))
    if cache:
        cache.save({r.rel for r in results})
    problems = cap(problems)
    problems.sort(key=Problem.sort_key)
    return results, problems


def validate(root: Path, paths: Sequence[str] = (), use_cache: bool = True,
             check_links: bool = False, today: date | None = None,
             ledger: Mapping[str, Recorded] | None = None,
             now: datetime | None = None) -> Report:
    """Check the whole calendar under ``root``. ``paths`` (relative to the root) restricts
    which files' problems are reported; the whole calendar is still read, because references
    between files need it. ``check_links`` also asks every outbound link (network I/O).
    With ``ledger`` (what was published) and ``now``, a published post whose changed text
    or alt text will not reach the network gets a warning on its line
    (``post.edit-not-applied``)."""
    results, problems = _check(root, use_cache)
    if now is not None:  # time-dependent warnings stay out of the cache
        problems.extend(_locate_all(root, past_findings(_maybe_past(results, now), now,
                                                        ledger)))
        problems.sort(key=Problem.sort_key)
    if ledger and now is not None:
        problems.extend(_locate_all(root, edit_findings(build_calendar(results), ledger, now)))
        problems.sort(key=Problem.sort_key)
    if today is not None:  # date-dependent warnings stay out of the cache
        calendar = build_calendar(results, with_posts=False)
        problems.extend(_locate_all(root, dated_findings(calendar, today)))
        problems.sort(key=Problem.sort_key)
    if check_links:
        from cmops.linkcheck import check_links as probe

        problems.extend(_locate_all(root, probe(build_calendar(results))))
        problems.sort(key=Problem.sort_key)
    if paths:
        problems = [p for p in problems if _selected(p.file, paths)]
    if today is not None or check_links or ledger or now is not None:
        problems = sorted(cap(problems), key=Problem.sort_key)
    return Report(root, len(results), problems)


def _maybe_past(results: Sequence[FileResult], now: datetime) -> Calendar:
    """The calendar with only the ready posts whose every time may be past: one without a
    repeat or with an end, dated (or queued from) no later than tomorrow. Most of a calendar
    is ahead of ``now`` and is never built; a queued one that may be past takes every post
    (slots depend on the others)."""
    soon = (now + timedelta(days=1)).date().isoformat()
    picked: list[FileResult] = []
    for result in results:
        if result.kind != "post":
            picked.append(result)
            continue
        sent = result.sent  # cached with the file: most posts are ruled out unread
        if sent is not None and (sent.publish_at[:10] > soon or (
                sent.repeat is not None and sent.repeat[1] is None and sent.repeat[2] is None)):
            continue
        data = result.data
        if not isinstance(data, dict) or data.get("status") != "ready":
            continue
        when = data.get("publish_at")
        queue = data.get("queue")
        if when == "next-slot" or (when is None and queue is not None):
            if isinstance(queue, str | date) and str(queue)[:10] > soon:
                continue  # its slot is on or after that day
            return build_calendar(results)
        repeat = data.get("repeat")
        if isinstance(repeat, dict) and repeat.get("count") is None \
                and repeat.get("until") is None:
            continue  # never ends
        if isinstance(when, str | date) and str(when)[:10] <= soon:
            picked.append(result)
    return build_calendar(picked)


def edit_findings(calendar: Calendar, ledger: Mapping[str, Recorded],
                  now: datetime) -> Iterator[Finding]:
    """A warning on the changed text of each published post whose change is not applied
    on a channel (the network cannot edit, past edit_window...): the plan's ``not_applied``
    items, located on the field the message comes from."""
    from cmops.plan import State, build_plan

    plan = build_plan(calendar, now, ledger=ledger)
    for item in plan.by_state(State.NOT_APPLIED):
        post = item.post
        for change in item.edits or ():
            where: tuple[str | int, ...] = ("text",)
            if 0 < change.part <= len(post.thread):
                where = ("thread", change.part - 1, "text")
            elif change.part > len(post.thread) and post.first_comment:
                where = ("first_comment",)
            if change.before == change.after and post.media and change.part == 0:
                where = ("media",)  # only an alt text changed
            yield Finding(post.file, where, "post.edit-not-applied",
                          f"already published on {item.channel}: {item.reason}",
                          Severity.WARNING)


def load_calendar(root: Path, use_cache: bool = True) -> tuple[Calendar, Report]:
    """The whole content model (for plan, publish, report) and its validation report.

    The calendar carries its :class:`~cmops.gate.Gate` (what the publisher must hold back);
    ``use_cache=False`` reads and checks every file afresh, the only gate publishing takes."""
    built: dict[str, Post] = {}
    results, problems = _check(root, use_cache, built)
    calendar = build_calendar(results, built=built)
    calendar.gate = build_gate(calendar, problems, {r.rel: r.kind for r in results},
                               fresh=not use_cache)
    fail_closed_pause(calendar.gate, calendar)
    return calendar, Report(root, len(results), problems)


def calendar_from_bytes(files: Mapping[str, bytes]) -> Calendar:
    """The content model from files held in memory (e.g. read from another git revision)."""
    results = [check_file(rel, kind, raw, digest(raw)) for rel, raw in sorted(files.items())
               if rel.endswith(YAML_SUFFIXES) and (kind := file_kind(rel)) != "unknown"]
    return build_calendar(results)
