"""The gate: what validation found, turned into what the publisher may not send.

Review promises that what fails the checks never goes out; the publisher keeps that promise
itself instead of trusting that nobody merged past a red check. From the validation report of
the exact files it is about to publish, the gate says, for each item, why it is held:

* an error in a post file holds that post (every channel, every occurrence);
* an error in a campaign file holds the posts of that campaign;
* an error under one channel of ``channels.yaml`` holds that channel; any other error there
  (time zone, an unknown key, a missing file) holds everything;
* an error in ``rules.yaml`` holds everything: the governance a reviewer relied on cannot be
  checked;
* an error in ``pause.yaml`` holds everything, holding statements included, since that file
  may be the reason: **the pause fails closed**.

A withdrawal sends nothing: it deletes what the ledger recorded. It is held by what could
make it wrong (an error in the post's ``id``, ``status``, ``channels`` or
``withdrawn_reason``, or in the file as a whole, its channel, the rules or the pause file),
not by its content: a withdrawn post whose text has since become invalid can still be taken
down.

Errors in files the publisher does not read (listening, analytics, saved replies) hold
nothing. Pure: data in, data out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cmops.model import Calendar, Pause
from cmops.problems import Problem, Severity

_HOLD_ALL: frozenset[str | None] = frozenset({"rules", "pause"})
_IDENTITY = frozenset({"", "id", "status", "channels", "withdrawn_reason"})
"""The fields of a post a withdrawal depends on ("": the file as a whole)."""


def describe(problem: Problem) -> str:
    field_ = f" {problem.path}:" if problem.path else ""
    return (f"{problem.file}:{problem.line}:{problem.column}:{field_} {problem.message} "
            f"[{problem.rule}]")


@dataclass(frozen=True, slots=True)
class Gate:
    everything: str | None = None
    """Why nothing at all may go out (a broken pause, rules or channels file)."""
    channels: dict[str, str] = field(default_factory=dict)
    posts: dict[str, str] = field(default_factory=dict)
    """Post id -> its first error."""
    campaigns: dict[str, str] = field(default_factory=dict)
    fresh: bool = True
    """Built from a validation run that read every file (no cache): the only kind the
    publisher accepts."""
    pause_broken: bool = False
    """``pause.yaml`` exists but has errors: it counts as paused everywhere."""
    identity: dict[str, str] = field(default_factory=dict)
    """Post id -> its first error on what a withdrawal depends on (see the module)."""

    def holds_withdrawal(self, post_id: str, channel: str) -> str | None:
        """Why this post may not be taken down on this channel, or None."""
        if self.everything:
            return self.everything
        if post_id in self.identity:
            return f"not taken down: the post has errors: {self.identity[post_id]}"
        if channel in self.channels:
            return f"not taken down: the channel has errors: {self.channels[channel]}"
        return None

    def holds(self, post_id: str, channel: str, campaign: str | None) -> str | None:
        """Why this post may not go to this channel, or None."""
        if self.everything:
            return self.everything
        if post_id in self.posts:
            return f"not sent: the post has errors: {self.posts[post_id]}"
        if campaign is not None and campaign in self.campaigns:
            return f"not sent: its campaign has errors: {self.campaigns[campaign]}"
        if channel in self.channels:
            return f"not sent: the channel has errors: {self.channels[channel]}"
        return None


def _channel_of(path: str, names: Iterable[str]) -> str | None:
    for name in names:
        head = f"channels.{name}"
        if path == head or path.startswith((head + ".", head + "[")):
            return name
    return None


def build_gate(calendar: Calendar, problems: Iterable[Problem], kinds: dict[str, str],
               *, fresh: bool = True) -> Gate:
    """``kinds`` maps each calendar file read to its kind (``post``, ``channels``…)."""
    everything: str | None = None
    pause_broken = False
    channels: dict[str, str] = {}
    posts: dict[str, str] = {}
    identity: dict[str, str] = {}
    campaigns: dict[str, str] = {}
    post_ids: dict[str, list[str]] = {}
    for post in calendar.posts:
        post_ids.setdefault(post.file, []).append(post.id)
    campaign_ids: dict[str, list[str]] = {}
    for campaign in calendar.campaigns.values():
        campaign_ids.setdefault(campaign.file, []).append(campaign.id)
    for file, campaign_id in calendar.duplicate_campaigns:
        campaign_ids.setdefault(file, []).append(campaign_id)
    for problem in problems:
        if problem.severity is not Severity.ERROR:
            continue
        kind = kinds.get(problem.file)
        if problem.rule == "file.missing" and problem.file.endswith(("channels.yaml",
                                                                     "channels.yml")):
            kind = "channels"
        why = describe(problem)
        if kind == "post":
            head = problem.path.split(".", 1)[0].split("[", 1)[0]
            for post_id in post_ids.get(problem.file, ()):
                posts.setdefault(post_id, why)
                if head in _IDENTITY:
                    identity.setdefault(post_id, why)
        elif kind == "campaign":
            for campaign_id in campaign_ids.get(problem.file, ()):
                campaigns.setdefault(campaign_id, why)
        elif kind == "channels":
            name = _channel_of(problem.path, calendar.channels)
            if name is not None:
                channels.setdefault(name, why)
            elif everything is None:
                everything = f"nothing is sent: {problem.file} has errors: {why}"
        elif kind in _HOLD_ALL and (everything is None or kind == "pause"):
            pause_broken = pause_broken or kind == "pause"
            everything = (f"nothing is sent: the crisis pause file cannot be trusted, so it "
                          f"counts as paused everywhere (fails closed): {why}"
                          if kind == "pause" else
                          f"nothing is sent: {problem.file} has errors: {why}")
    return Gate(everything, channels, posts, campaigns, fresh, pause_broken, identity)


def fail_closed_pause(gate: Gate, calendar: Calendar) -> None:
    """A pause file that exists but cannot be trusted pauses every channel, so the plan, the
    status and the site say what the publisher does."""
    if gate.pause_broken:
        calendar.pause = Pause(True, gate.everything, None, None, None,
                               calendar.pause.file if calendar.pause else "calendar/pause.yaml")
