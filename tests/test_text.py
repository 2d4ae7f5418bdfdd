"""Text counting per network, against the platforms' own vectors (tests/vectors, see its
README) and our own cases.

Vector coverage:
- twitter-text weighted_length_cases.json: all 44 cases, every field of `parseTweet`.
- twitter-text extract.yml: all of `urls` (91), `urls_with_indices` (10),
  `urls_with_directional_markers` (2) and `tco_urls_with_params` (5). Not used: the mention,
  reply, hashtag and cashtag sections, which are X entity extraction that no count needs.
- twitter-text validate.yml: `tweets` (8, the 140-character rule = config v1) and
  `urls_without_protocol` (5, read as "the whole text is extracted as one URL"). Not used:
  `urls` (the RFC 3986 validator `isValidUrl`, a different function from the extractor),
  `usernames`, `lists`, `hashtags`; the weighted sections are the JSON file above.
- twitter-text tlds.yml: all 1,574 TLDs extract.
- atproto richtext_detection_cases.json: all 40 + 39 + 18; graphemes file: all 12 + the docs'
  facet example.
- mastodon status_length_validator_cases.json: all 10.
"""

from __future__ import annotations

import json
import random
import re
import time
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from cmops.model import NETWORKS as MODEL_NETWORKS
from cmops.text import bluesky, limits, linkedin, mastodon, telegram, twitter
from cmops.text.graphemes import count_graphemes, utf8_len, utf16_len

VECTORS = Path(__file__).parent / "vectors"


def _json(relative: str) -> Any:
    with (VECTORS / relative).open(encoding="utf-8") as f:
        return json.load(f)


@cache
def _yaml(relative: str) -> Any:
    with (VECTORS / relative).open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _cases(items: list[dict[str, Any]], key: str) -> list[Any]:
    return [pytest.param(c, id=f"{i}-{str(c[key])[:40]}") for i, c in enumerate(items)]


# --- X / twitter-text -------------------------------------------------------------------------

_WEIGHTED = _json("twitter-text/weighted_length_cases.json")["sections"]
_CONFIGS = {"config-v2.json": twitter.V2, "config-v3.json": twitter.V3,
            "config-v3.json (library default config)": twitter.V3}


@pytest.mark.parametrize(("config", "case"), [
    pytest.param(section["config"], case, id=f"{name}-{i}")
    for name, section in _WEIGHTED.items() for i, case in enumerate(section["cases"])])
def test_x_weighted_length_vectors(config: str, case: dict[str, Any]) -> None:
    result = twitter.parse(case["text"], _CONFIGS[config])
    assert {
        "weightedLength": result.weighted_length, "valid": result.valid,
        "permillage": result.permillage,
        "displayRangeStart": result.display_range_start,
        "displayRangeEnd": result.display_range_end,
        "validRangeStart": result.valid_range_start, "validRangeEnd": result.valid_range_end,
    } == case["expected"]


def test_x_weighted_vectors_are_all_there() -> None:
    assert sum(len(s["cases"]) for s in _WEIGHTED.values()) == 44


_EXTRACT = _yaml("twitter-text/extract.yml")["tests"]


@pytest.mark.parametrize("case", _cases(_EXTRACT["urls"] + _EXTRACT["tco_urls_with_params"],
                                        "description"))
def test_x_extract_urls_vectors(case: dict[str, Any]) -> None:
    assert [u.url for u in twitter.extract_urls(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", _cases(
    _EXTRACT["urls_with_indices"] + _EXTRACT["urls_with_directional_markers"], "description"))
def test_x_extract_urls_with_indices_vectors(case: dict[str, Any]) -> None:
    found = [{"url": u.url, "indices": [u.start, u.end]}
             for u in twitter.extract_urls(case["text"])]
    assert found == case["expected"]


def test_x_extract_vector_counts() -> None:
    assert [len(_EXTRACT[k]) for k in ("urls", "urls_with_indices",
                                       "urls_with_directional_markers",
                                       "tco_urls_with_params")] == [91, 10, 2, 5]


_VALIDATE = _yaml("twitter-text/validate.yml")["tests"]


@pytest.mark.parametrize("case", _cases(_VALIDATE["tweets"], "description"))
def test_x_validate_tweets_vectors_v1(case: dict[str, Any]) -> None:
    assert twitter.is_valid(case["text"], twitter.V1) is case["expected"]


@pytest.mark.parametrize("case", _cases(_VALIDATE["urls_without_protocol"], "description"))
def test_x_validate_urls_without_protocol_vectors(case: dict[str, Any]) -> None:
    assert ([u.url for u in twitter.extract_urls(case["text"])] == [case["text"]]) \
        is case["expected"]


@pytest.mark.parametrize("kind", ["country", "generic"])
def test_x_every_tld_extracts(kind: str) -> None:
    cases = _yaml("twitter-text/tlds.yml")["tests"][kind]
    failing = [c["text"] for c in cases
               if [u.url for u in twitter.extract_urls(c["text"])] != c["expected"]]
    assert len(cases) == {"country": 315, "generic": 1259}[kind]
    assert failing == []


def test_packaged_tld_list_is_the_vector_list() -> None:
    tests = _yaml("twitter-text/tlds.yml")["tests"]
    assert tuple(c["text"].removeprefix("https://twitter.")
                                         for c in tests["country"]) == twitter.COUNTRY_TLDS
    assert tuple(c["text"].removeprefix("https://twitter.")
                                         for c in tests["generic"]) == twitter.GENERIC_TLDS


def test_x_domain_guard_excludes_exactly_what_the_grammar_excludes() -> None:
    domain_char = re.compile(twitter._D, re.IGNORECASE)
    assert [chr(c) for c in range(0x10000)
            if (chr(c) in twitter._NOT_DOMAIN) == bool(domain_char.match(chr(c)))] == []


def test_x_domain_guard_changes_no_match() -> None:
    pieces = [*"ab.-_/:?#@ (x1$", "com", "co", "jp", "xn--", "XN--ls8h", "http://", "t.co/",
              "é", "日", "みんな", "ſ", "\u212a", "\u202a", "\uff03", "\u00a0"]
    rng = random.Random(20260501)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        assert [m.groups() for m in twitter._url_matches(text)] == \
            [m.groups() for m in twitter._URL.finditer(text)], text


@pytest.mark.parametrize("text", ["a." * 20_000 + "-.com", "http://" + "a_" * 20_000 + "b.com",
                                  "日本." * 20_000, "a." * 20_000 + "日.com"])
def test_x_crafted_domain_runs_stay_linear(text: str) -> None:
    started = time.perf_counter()
    twitter.weighted_length(text)
    assert time.perf_counter() - started < 5  # minutes without the guard


def test_x_configs() -> None:
    assert (twitter.V1.max_weighted_length, twitter.V1.scale, twitter.V1.ranges) == (140, 1, ())
    assert twitter.V2.emoji_parsing is False and twitter.V3.emoji_parsing is True
    assert twitter.Config.load(3) == twitter.V3 and twitter.DEFAULT is twitter.V3
    assert [r.weight for r in twitter.V3.ranges] == [100, 100, 100, 100]


# --- Bluesky ----------------------------------------------------------------------------------

_RICHTEXT = _json("atproto/derived/richtext_detection_cases.json")
_GRAPHEMES = _json("atproto/derived/graphemes_and_docs_facet_example.json")


@pytest.mark.parametrize("case", _cases(_RICHTEXT["mention_and_link_detection"], "text"))
def test_bluesky_mention_and_link_vectors(case: dict[str, Any]) -> None:
    found = [(f.byte_start, f.byte_end, f.kind, f.value)
             for f in bluesky.detect_facets(case["text"])]
    assert found == [(f["byteStart"], f["byteEnd"], f["kind"], f["value"])
                     for f in case["facets"]]


@pytest.mark.parametrize("case", _cases(_RICHTEXT["tag_detection"]
                                        + _RICHTEXT["cashtag_detection"], "text"))
def test_bluesky_tag_and_cashtag_vectors(case: dict[str, Any]) -> None:
    found = [(f.byte_start, f.byte_end, f.kind, f.value)
             for f in bluesky.detect_facets(case["text"])]
    assert found == [(i["byteStart"], i["byteEnd"], "tag", tag)
                     for i, tag in zip(case["indices"], case["tags"], strict=True)]


def test_bluesky_richtext_vector_counts() -> None:
    assert [len(_RICHTEXT[k]) for k in ("mention_and_link_detection", "tag_detection",
                                        "cashtag_detection")] == [40, 39, 18]


@pytest.mark.parametrize("case", _cases(_GRAPHEMES["grapheme_cases"], "text"))
def test_grapheme_vectors(case: dict[str, Any]) -> None:
    text = case["text"]
    assert bluesky.length(text) == (case["graphemes"], case["utf8_bytes"])
    assert (len(text), utf16_len(text), telegram.utf16_len(text)) == (
        case["codepoints"], case["utf16_units"], case["utf16_units"])


def test_bluesky_docs_facet_example() -> None:
    example = _GRAPHEMES["facet_example_from_docs"]
    facets = bluesky.detect_facets(example["text"])
    records = bluesky.facet_records(facets, lambda handle: "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
    assert records == example["facets"]
    assert facets[0].value == "atproto.com"
    assert bluesky.length(example["text"]) == (88, 109)
    assert example["text"].index("@") == 21 and facets[0].byte_start == 23


def test_bluesky_mention_without_resolver_refuses() -> None:
    [facet] = bluesky.detect_facets("hi @alice.bsky.social")
    assert facet.to_record(lambda h: f"did:fake:{h}")["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:fake:alice.bsky.social"}]
    with pytest.raises(ValueError, match=r"^mention @alice\.bsky\.social needs a handle -> DID"):
        facet.to_record()


def test_bluesky_limits_graphemes_and_bytes() -> None:
    family = "👨‍👩‍👧‍👦"
    assert bluesky.length(family * 300) == (300, 7500)
    assert bluesky.is_valid("a" * 300) and not bluesky.is_valid("a" * 301)
    assert bluesky.is_valid(family * 120)  # exactly 3000 bytes
    assert not bluesky.is_valid(family * 121)  # 121 graphemes, but 3025 bytes
    assert bluesky.is_valid("é" * 300)  # 600 bytes


def test_bluesky_url_with_accented_path_and_bare_domain() -> None:
    text = "Voir https://fr.wikipedia.org/wiki/Élysée et cmops.dev."
    facets = bluesky.detect_facets(text)
    assert [(f.byte_start, f.byte_end, f.kind, f.value) for f in facets] == [
        (5, 43, "link", "https://fr.wikipedia.org/wiki/Élysée"),
        (47, 56, "link", "https://cmops.dev")]


def test_bluesky_hashtags_next_to_punctuation() -> None:
    text = "(#cmops) #GitOps, #ok! #1 #été."
    assert [(f.byte_start, f.byte_end, f.value) for f in bluesky.detect_facets(text)] == [
        (9, 16, "GitOps"), (18, 21, "ok"), (26, 32, "été")]


def test_bluesky_hashtag_over_64_graphemes_is_no_tag() -> None:
    assert bluesky.detect_facets("#" + "é" * 64)[0].byte_end == 129
    assert bluesky.detect_facets("#" + "e\u0301" * 64)[0].byte_end == 193  # 64 graphemes
    assert bluesky.detect_facets("#" + "é" * 65) == []


# --- Mastodon ---------------------------------------------------------------------------------

_MASTODON = _json("mastodon/status_length_validator_cases.json")["cases"]


@pytest.mark.parametrize("case", _cases(_MASTODON, "it"))
def test_mastodon_status_length_vectors(case: dict[str, Any]) -> None:
    assert mastodon.length(case["text"], case["spoiler_text"]) == \
        case["countable_length_per_rules"]
    assert mastodon.is_valid(case["text"], case["spoiler_text"],
                             max_chars=case["max_chars"]) is case["expected_valid"]


def test_mastodon_countable_text() -> None:
    text = "Salut @alice@example.social et @bob, voir https://example.com/café?x=1 ou cmops.dev"
    assert mastodon.countable_text(text) == \
        "Salut @alice et @bob, voir " + "x" * 23 + " ou cmops.dev"
    assert mastodon.length(text) == 63
    assert mastodon.length("   ") == 0
    assert mastodon.length("https://example.com", spoiler_text="https://example.com") == 19 + 23


# --- own cases across networks ----------------------------------------------------------------

_NFC = "Café crème à l’été"
_NFD = unicodedata.normalize("NFD", _NFC)


def test_french_nfc_and_nfd_count_the_same_where_the_network_normalises() -> None:
    assert (len(_NFC), len(_NFD)) == (18, 23)
    assert count_graphemes(_NFC) == count_graphemes(_NFD) == 18
    assert twitter.weighted_length(_NFC) == twitter.weighted_length(_NFD) == 18
    assert mastodon.length(_NFC) == mastodon.length(_NFD) == 18
    assert bluesky.length(_NFC) == (18, 25)
    assert bluesky.length(_NFD) == (18, 30)
    assert (telegram.length(_NFC), telegram.length(_NFD)) == (18, 23)
    parsed = twitter.parse(_NFD)
    assert (parsed.display_range_end, parsed.valid_range_end) == (22, 22)


def test_emoji_skin_tones_and_zwj_families() -> None:
    thumbs, family = "👍🏽", "👨‍👩‍👧‍👦"
    assert [count_graphemes(s) for s in (thumbs, family)] == [1, 1]
    assert [utf8_len(s) for s in (thumbs, family)] == [8, 25]
    assert [utf16_len(s) for s in (thumbs, family)] == [4, 11]
    assert [twitter.weighted_length(s) for s in (thumbs, family)] == [2, 2]
    assert [twitter.weighted_length(s, twitter.V2) for s in (thumbs, family)] == [4, 11]
    assert [mastodon.length(s) for s in (thumbs, family)] == [1, 1]
    assert twitter.weighted_length("🇫🇷 1️⃣ ©") == 2 + 1 + 2 + 1 + 1  # bare (c) is text
    assert twitter.weighted_length("©️") == 2


def test_cjk_weighs_two_on_x() -> None:
    text = "日本語のテキスト"
    assert twitter.weighted_length(text) == 16
    assert twitter.weighted_length("한국어") == 6
    assert bluesky.length(text) == (8, 24)
    assert twitter.is_valid("日" * 140) and not twitter.is_valid("日" * 141)


def test_combining_marks() -> None:
    text = "a\u0300\u0301\u0302"
    assert count_graphemes(text) == 1
    assert twitter.weighted_length(text) == 3  # NFC: "à" + two marks
    assert telegram.length(text) == 4
    assert bluesky.length(text) == (1, 7)
    assert count_graphemes("नमस्ते") == 3


def test_x_urls_with_accented_paths_and_bare_domains() -> None:
    text = "Voir https://fr.wikipedia.org/wiki/Élysée, cmops.dev. et foo.baz"
    assert twitter.extract_urls(text) == [
        (5, 41, "https://fr.wikipedia.org/wiki/Élysée"), (43, 52, "cmops.dev")]
    assert twitter.weighted_length(text) == 5 + 23 + 2 + 23 + 12
    assert twitter.extract_urls("example.com/café.") == [(0, 16, "example.com/café")]
    assert twitter.extract_urls("http://example.com", without_protocol=False) == [
        (0, 18, "http://example.com")]
    assert twitter.extract_urls("example.com", without_protocol=False) == []


def test_x_invalid_characters() -> None:
    assert twitter.is_valid("ok") and not twitter.is_valid("ok\ufeff")
    assert not twitter.is_valid("")


def test_linkedin_escaping_round_trips() -> None:
    assert linkedin.escape("Hello (world) #tag @x") == "Hello \\(world\\) \\#tag \\@x"
    every = "\\ | { } @ [ ] ( ) < > # * _ ~"
    escaped = linkedin.escape(every)
    assert escaped == "\\\\ \\| \\{ \\} \\@ \\[ \\] \\( \\) \\< \\> \\# \\* \\_ \\~"
    for text in (every, "C:\\path\\_x", "déjà vu 😀 a_b*c", "\\#"):
        assert linkedin.unescape(linkedin.escape(text)) == text
    assert linkedin.length(escaped) == 29 + 15


def test_linkedin_hashtags_and_mentions() -> None:
    people = {"acme": linkedin.Mention("Acme (EU)", "urn:li:organization:123")}
    text = "Merci @acme et @other! (#cmops) #GitOps_2"
    assert linkedin.to_little_text(text, mentions=people) == (
        "Merci @[Acme \\(EU\\)](urn:li:organization:123) et \\@other! "
        "\\({hashtag|\\#|cmops}\\) {hashtag|\\#|GitOps\\_2}")
    assert linkedin.to_little_text("#tag", hashtags=False) == "\\#tag"
    assert linkedin.hashtag("tag") == "{hashtag|\\#|tag}"
    assert linkedin.mention("Acme", "urn:li:organization:123") == \
        "@[Acme](urn:li:organization:123)"
    assert linkedin.text_length("a_b 😀") == 7  # "a\_b " + a surrogate pair


def test_telegram_utf16_for_astral_emoji() -> None:
    text = "Hi 😀 there"
    assert (len(text), telegram.length(text)) == (10, 11)
    assert telegram.utf16_offset(text, 5) == 6
    assert telegram.entity(text, 5, 10) == (6, 5)
    assert telegram.entity(text, 3, 4) == (3, 2)
    assert telegram.is_valid("😀" * 2048) and not telegram.is_valid("😀" * 2049)
    assert telegram.is_valid("a" * 1024, caption=True)
    assert not telegram.is_valid("a" * 1025, caption=True)
    assert not telegram.is_valid("") and telegram.is_valid("", caption=True)


# --- the registry -----------------------------------------------------------------------------

def test_registry_covers_every_network_of_the_model() -> None:
    assert set(limits.NETWORKS) == set(MODEL_NETWORKS)
    assert all(name == rules.name for name, rules in limits.NETWORKS.items())
    expected = {"bluesky": 300, "mastodon": 500, "x": 280, "linkedin": 3000, "facebook": 63206,
                "instagram": 2200, "threads": 500, "discord": 2000, "telegram": 4096,
                "pinterest": 500, "youtube": 5000, "tiktok": 2200, "google_business": 1500}
    assert {k: limits.NETWORKS[k].text_limit for k in expected} == expected
    assert set(expected) | {"outbox"} == set(limits.NETWORKS)
    # No text-only post: a pin needs an image or a video, YouTube and TikTok a video (TikTok
    # photos too); Google Business takes a post without a photo.
    assert [k for k, r in limits.NETWORKS.items() if r.media.required] == [
        "instagram", "pinterest", "youtube", "tiktok"]
    assert [k for k, r in limits.NETWORKS.items() if not r.threads] == [
        "linkedin", "facebook", "instagram", "discord", "pinterest", "youtube", "tiktok",
        "google_business"]


def test_check_messages() -> None:
    assert limits.check("bluesky", "a" * 301) == ["301/300 graphemes"]
    assert limits.check("bluesky", "é" * 1501) == ["1501/300 graphemes", "3002/3000 UTF-8 bytes"]
    assert limits.check("bluesky", "👨‍👩‍👧‍👦" * 300) == ["7500/3000 UTF-8 bytes"]
    assert limits.check("x", "a" * 281) == ["281/280 weighted characters"]
    assert limits.check("x", "a\ufffe") == ["contains U+FFFE, U+FEFF or U+FFFF, which X rejects"]
    assert limits.check("mastodon", "a" * 600) == ["600/500 characters"]
    assert limits.check("mastodon", "a" * 600, limit_override=1000) == []
    assert limits.check("telegram", "a" * 2000) == []
    assert limits.check("telegram", "a" * 2000, with_media=True) == ["2000/1024 UTF-16 units"]
    assert limits.check("discord", "😀" * 1001) == ["2002/2000 UTF-16 units"]
    assert limits.check("linkedin", "#" * 1501) == ["3002/3000 characters (escaped)"]
    assert limits.check("outbox", "a" * 5000) == []


def test_check_caps() -> None:
    links = " ".join(f"https://e{i}.com" for i in range(6))
    assert limits.check("threads", links) == ["6/5 links"]
    assert limits.check("threads", "😀" * 125) == []
    assert limits.check("threads", "😀" * 126) == ["504/500 characters"]
    tags = " ".join(f"#t{i}" for i in range(31))
    assert limits.check("instagram", tags) == ["31/30 hashtags"]
    people = " ".join(f"@u{i}" for i in range(21))
    assert limits.check("instagram", people) == ["21/20 mentions"]
    assert limits.advice("instagram", "#a #b #c #d #e") == []
    assert limits.advice("instagram", "#a #b #c #d #e #f") == [
        "6 hashtags: instagram is reported to use at most 5"]


def test_measure() -> None:
    measure = limits.NETWORKS["bluesky"].measure("é" * 10)
    assert (measure.count, measure.limit, measure.unit, measure.ok) == (10, 300, "graphemes", True)
    assert [(m.count, m.limit, m.unit) for m in measure.extra] == [(20, 3000, "UTF-8 bytes")]
    assert measure.message() == "10/300 graphemes"
    assert limits.NETWORKS["x"].measure("日本").message() == "4/280 weighted characters"
    assert limits.measure("mastodon", "a" * 501, limit_override=1000).ok is True
    assert limits.measure("telegram", "a" * 1025, with_media=True).message() == \
        "1025/1024 UTF-16 units"


def test_fast_weighted_length_agrees_with_parse_on_every_vector() -> None:
    """weighted_length takes shortcuts (ASCII runs); parse walks every character."""
    import random

    from cmops.text import twitter as tw

    rng = random.Random(3)
    alphabet = ["a", "é", "e\u0301", "日", "👍🏽", "👨‍👩‍👧", " ", ".", "https://example.com/x",
                "example.org", "#tag", "\u200f", "💩", "\U0001f3f3\ufe0f\u200d\U0001f308",
                "#\ufe0f\u20e3", "\u00a9", "\u00a9\ufe0f", "\u200d", "\u0600", "\r\n", "\u1100",
                "\u1161", "\U0001f1eb", "\U0001f1f7"]
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for config in (tw.V1, tw.V2, tw.V3):
            assert tw.weighted_length(text, config) == tw.parse(text, config).weighted_length


def test_fast_grapheme_count_agrees_with_segmentation() -> None:
    import random

    from cmops.text.graphemes import clusters, count_graphemes

    rng = random.Random(5)
    alphabet = ["a", "é", "\r", "\n", "\r\n", "\u00ad", "\u02ff", "ÿ", " ", "\t", "\x00"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert count_graphemes(text) == len(clusters(text)), repr(text)


def test_cheap_bounds_never_hide_a_problem() -> None:
    """check() skips the exact count when a cheap bound fits; it must agree with measure()."""
    import random

    from cmops.text import limits

    rng = random.Random(11)
    alphabet = ["a", "é", "日", "👍🏽", " ", "https://example.com/" + "p" * 30, "@a@b.c", "#t",
                "\r\n"]
    for network, rules in limits.NETWORKS.items():
        for _ in range(300):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
            limit = rng.choice([None, 20, 100, 300])
            exact = rules.measure(text, limit_override=limit).problems()
            assert bool(limits.check(network, text, limit_override=limit)) >= bool(exact), \
                (network, text, limit)
