"""``cmops validate`` as a function: check every calendar file and the rules between them.

Usable from Python as ``validate(root)``; the CLI only renders the :class:`Report`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cmops.cache import ValidateCache, digest
from cmops.content import FileResult, check_file, locate_findings
from cmops.model import Calendar, Campaign, Post
from cmops.problems import Finding, Problem, Severity
from cmops.rules import CALENDAR_RULES, Context
from cmops.workspace import KNOWN_OTHER, list_calendar_files, media_info

CACHE_PATH = ".cmops/cache/validate.json"


@dataclass(slots=True)
class Report:
    """The outcome of a validation run: every problem in every file."""

    root: Path
    files: int
    problems: list[Problem] = field(default_factory=list)
    calendar: Calendar | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def build_calendar(results: Iterable[FileResult]) -> Calendar:
    """The content model from loaded files, leniently (see :mod:`cmops.model`)."""
    calendar = Calendar()
    for result in results:
        data = result.data
        if not isinstance(data, dict):
            continue
        if result.kind == "post":
            post = Post.from_raw(data, result.rel)
            if post is not None:
                calendar.posts.append(post)
        elif result.kind == "campaign":
            campaign = Campaign.from_raw(data, result.rel)
            if campaign is not None:
                calendar.add_campaign(campaign)
        elif result.kind == "channels":
            calendar.add_channels_file(data, result.rel)
    return calendar


def load_files(root: Path, use_cache: bool = True) -> tuple[list[FileResult], list[Problem]]:
    """Read and check every calendar file on its own (reusing cached results)."""
    cache = ValidateCache(root / CACHE_PATH) if use_cache else None
    results: list[FileResult] = []
    extra: list[Problem] = []
    files = list_calendar_files(root)
    for f in files:
        if f.kind == "unknown":
            if f.rel not in KNOWN_OTHER and not f.rel.startswith("calendar/replies/"):
                extra.append(Problem(f.rel, 1, 1, "", "file.unknown",
                                     "cmops does not read this file: posts go in "
                                     "calendar/posts/, campaigns in calendar/campaigns/",
                                     Severity.WARNING))
            continue
        entry = cache.stat_hit(f.rel, f.size, f.mtime_ns) if cache else None
        if entry is None:
            raw = (root / f.rel).read_bytes()
            file_digest = digest(raw)
            entry = cache.digest_hit(f.rel, file_digest) if cache else None
            if entry is None:
                result = check_file(f.rel, f.kind, raw, file_digest)
                if cache:
                    cache.put(f.rel, f.size, f.mtime_ns, result.as_cache())
                results.append(result)
                continue
            if cache:
                cache.put(f.rel, f.size, f.mtime_ns, entry)
        results.append(FileResult.from_cache(f.rel, entry))
    if cache:
        cache.save({f.rel for f in files if f.kind != "unknown"})
    if not any(r.kind == "channels" for r in results):
        extra.append(Problem("calendar/channels.yaml", 1, 1, "", "file.missing",
                             "calendar/channels.yaml is missing: it declares the time zone and "
                             "the channels posts go to"))
    return results, extra


def _media_paths(calendar: Calendar) -> set[str]:
    paths: set[str] = set()
    for post in calendar.posts:
        paths.update(m.path for m in post.media)
        for part in post.thread:
            paths.update(m.path for m in part.media)
        for variant in post.variants.values():
            paths.update(m.path for m in variant.media or ())
            for part in variant.thread or ():
                paths.update(m.path for m in part.media)
    return paths


def check_calendar(root: Path, results: Sequence[FileResult]) -> tuple[Calendar, list[Problem]]:
    """Run the calendar rules; locate their findings (composing only files that have some)."""
    calendar = build_calendar(results)
    ctx = Context(calendar, media_info(root, _media_paths(calendar)))
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for rule in CALENDAR_RULES:
        for finding in rule(ctx):
            by_file[finding.file].append(finding)
    problems: list[Problem] = []
    for rel, findings in by_file.items():
        try:
            text = (root / rel).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        problems.extend(locate_findings(text, findings))
    return calendar, problems


def _selected(rel: str, only: Sequence[str]) -> bool:
    return any(rel == p or rel.startswith(p.rstrip("/") + "/") for p in only)


def validate(root: Path, paths: Sequence[str] = (), use_cache: bool = True) -> Report:
    """Check the whole calendar under ``root``. ``paths`` (relative to the root) restricts
    which files' problems are reported; the whole calendar is still read, because references
    between files need it."""
    results, problems = load_files(root, use_cache)
    for result in results:
        problems.extend(result.problems)
    calendar, calendar_problems = check_calendar(root, results)
    problems.extend(calendar_problems)
    if paths:
        problems = [p for p in problems if _selected(p.file, paths)]
    problems.sort(key=Problem.sort_key)
    return Report(root, len(results), problems, calendar)
