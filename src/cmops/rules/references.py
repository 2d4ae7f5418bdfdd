"""Rules about how files refer to each other: ids, channels, campaigns, variants."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cmops.model import Post
from cmops.problems import Finding, Severity
from cmops.rules.context import Context
from cmops.text.limits import NETWORKS, NetworkRules

DOCS = {
    "post.duplicate-id": "Two post files use the same id; the id is the post's identity for "
                         "the publisher, so it must be unique across the calendar.",
    "campaign.duplicate-id": "Two campaign files use the same id.",
    "post.unknown-channel": "A post names a channel that calendar/channels.yaml does not define.",
    "post.unknown-campaign": "A post names a campaign that no file in calendar/campaigns/ "
                             "defines.",
    "post.unknown-variant": "A variant is named after neither a network nor a channel.",
    "post.unused-variant": "A variant targets a network or channel the post does not go to "
                           "(warning).",
    "pause.unknown-channel": "calendar/pause.yaml names a channel that calendar/channels.yaml "
                             "does not define: the pause would not stop what was meant.",
    "channel.settings": "A channel lacks a setting its network needs (e.g. server for "
                        "mastodon, chat_id for telegram).",
    "channel.unknown-secret": "A role under a channel's secrets: that its network's adapter "
                              "never reads (e.g. token: where facebook reads page_token:): "
                              "the channel could not publish.",
    "channel.missing-secret": "A channel names some of the secrets its network's adapter "
                              "needs but not all (error), or none at all (warning: it cannot "
                              "publish until it does). The roles each network reads are on "
                              "the networks page.",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def check_ids(ctx: Context) -> Iterator[Finding]:
    cal = ctx.calendar
    by_id: dict[str, list[str]] = {}
    for post_id, file in ctx.post_ids:
        by_id.setdefault(post_id, []).append(file)
    for post_id, files in by_id.items():
        if len(files) < 2:
            continue
        for file in files:
            others = ", ".join(f for f in files if f != file)
            yield Finding(file, ("id",), "post.duplicate-id",
                          f"id '{post_id}' is also used by {others}; each post needs its own id")
    for dup_file, campaign_id in cal.duplicate_campaigns:
        first = cal.campaigns[campaign_id].file
        for here, there in ((dup_file, first), (first, dup_file)):
            yield Finding(here, ("id",), "campaign.duplicate-id",
                          f"campaign id '{campaign_id}' is also used by {there}; each campaign "
                          "needs its own id")


def check_pause_channels(ctx: Context) -> Iterator[Finding]:
    cal = ctx.calendar
    if cal.pause is None or not cal.pause.channels:
        return
    for i, name in enumerate(cal.pause.channels):
        if name not in cal.channels:
            known = ", ".join(sorted(cal.channels)) or "none defined"
            yield Finding(cal.pause.file, ("channels", i), "pause.unknown-channel",
                          f"unknown channel '{name}'{did_you_mean(name, cal.channels)}: the "
                          f"pause must name channels of {cal.channels_file} ({known})")


def check_post_references(post: Post, ctx: Context) -> Iterator[Finding]:
    cal = ctx.calendar
    for i, name in enumerate(post.channels):
        if name not in cal.channels:
            known = ", ".join(sorted(cal.channels)) or "none defined"
            yield Finding(post.file, ("channels", i), "post.unknown-channel",
                          f"unknown channel '{name}'{did_you_mean(name, cal.channels)}; "
                          f"channels in {cal.channels_file}: {known}")
    if post.campaign is not None and post.campaign not in cal.campaigns:
        yield Finding(post.file, ("campaign",), "post.unknown-campaign",
                      f"unknown campaign '{post.campaign}'"
                      f"{did_you_mean(post.campaign, cal.campaigns)}; campaigns are the ids "
                      "in calendar/campaigns/*.yaml")


def check_variants(post: Post, ctx: Context) -> Iterator[Finding]:
    cal = ctx.calendar
    if not post.variants:
        return
    targeted_networks = {cal.channels[c].network for c in post.channels if c in cal.channels}
    for name in post.variants:
        if name in cal.channels:
            if name not in post.channels:
                yield Finding(post.file, ("variants", name), "post.unused-variant",
                              f"variant '{name}' is never used: the post does not go to "
                              f"channel '{name}'", Severity.WARNING, at_key=True)
        elif name in NETWORKS:
            if name not in targeted_networks:
                yield Finding(post.file, ("variants", name), "post.unused-variant",
                              f"variant '{name}' is never used: none of the post's channels "
                              f"is on {name}", Severity.WARNING, at_key=True)
        else:
            choices = [*NETWORKS, *cal.channels]
            yield Finding(post.file, ("variants", name), "post.unknown-variant",
                          f"variant '{name}' is neither a network nor a channel"
                          f"{did_you_mean(name, choices)}", at_key=True)


def _network_channels(data: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any],
                                                                   NetworkRules]]:
    channels = data.get("channels")
    if not isinstance(channels, dict):
        return
    for name, channel in channels.items():
        if not isinstance(channel, dict):
            continue
        network = channel.get("network")
        if isinstance(network, str) and network in NETWORKS:
            yield str(name), channel, NETWORKS[network]


def check_channel_settings(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    for name, channel, rules in _network_channels(data):
        for key in rules.settings:
            if key not in channel:
                yield Finding(rel, ("channels", name), "channel.settings",
                              f"channel '{name}' on {rules.name} needs '{key}'")


def _sets(rules: NetworkRules) -> str:
    return " or ".join(", ".join(roles) for roles in rules.secrets)


def check_channel_secrets(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    """The roles under a channel's ``secrets:`` against the roles its network's adapter
    reads (:attr:`NetworkRules.secrets`): a role it does not read is a typo that would leave
    the channel unable to publish; a channel naming no secrets at all cannot publish yet."""
    for name, channel, rules in _network_channels(data):
        secrets = channel.get("secrets")
        roles = {str(role) for role in secrets} if isinstance(secrets, dict) else set()
        known = rules.secret_roles
        for role in sorted(roles - known):
            reads = f"it reads {_sets(rules)}" if rules.secrets else "it reads no secrets"
            yield Finding(rel, ("channels", name, "secrets", role), "channel.unknown-secret",
                          f"{rules.name} does not read a secret '{role}'"
                          f"{did_you_mean(role, known)}: {reads}", at_key=True)
        if not rules.secrets or any(set(needed) <= roles for needed in rules.secrets):
            continue
        if roles & known:
            closest = max(rules.secrets, key=lambda needed: len(roles & set(needed)))
            missing = [role for role in closest if role not in roles]
            yield Finding(rel, ("channels", name, "secrets"), "channel.missing-secret",
                          f"channel '{name}' on {rules.name} also needs "
                          f"{', '.join(missing)} under secrets: (it reads {_sets(rules)})",
                          at_key=True)
        elif not roles:
            yield Finding(rel, ("channels", name), "channel.missing-secret",
                          f"channel '{name}' names no secrets, so it cannot publish until "
                          f"it does: {rules.name} reads {_sets(rules)} (the names of "
                          "environment variables)", Severity.WARNING, at_key=True)
