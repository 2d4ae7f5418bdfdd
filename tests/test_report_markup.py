"""The report's HTML helpers return markupsafe.Markup: hostile text comes out inert."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from markupsafe import Markup

from cmops.report.safe import _TABLE, fill, join, safe_link, safe_text

HOSTILE = "<script>alert(1)</script>\"' onload=x [a](javascript:y) {{ z }}"


def test_safe_text_is_markup_and_inert() -> None:
    out = safe_text(HOSTILE)
    assert isinstance(out, Markup)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out
    assert "[" not in out and "{" not in out
    # Interpolating a plain str into Markup escapes it; the safe fragment is kept as is.
    assert Markup("<p>{}</p>").format(out) == f"<p>{out}</p>"
    assert "<script>" not in Markup("<p>{}</p>").format(HOSTILE)


def test_safe_link_escapes_label_and_refuses_bad_urls() -> None:
    link = safe_link("https://example.org/a", HOSTILE, cls='x" onclick="y')
    assert isinstance(link, Markup)
    assert link.startswith('<a class="x&#34; onclick=&#34;y" href="https&#58;//example.org/a"')
    assert "<script>" not in link
    text = safe_link("javascript:alert(1)", HOSTILE)
    assert isinstance(text, Markup)
    assert "<a" not in text and "<script>" not in text
    assert text.endswith('<span class="cm-unsafe-url">javascript&#58;alert(1)</span>')


class _Html:
    """Not Markup, but HTML by its own account (``__html__``), as markupsafe allows."""

    def __html__(self) -> str:
        return "<b>trusted</b>"


MIXED: list[object] = [Markup("<i>kept</i>"), HOSTILE, "plain", 42, None, 1.5, _Html(),
                       Markup(""), "é🚲 & ü"]


def test_fill_and_join_escape_exactly_as_markupsafe_does() -> None:
    # The fast paths (no helper object per value, no Markup.__new__) give Markup's bytes.
    template = Markup("<p title=\"%s\">" + "%s " * (len(MIXED) - 1) + "</p>")
    out = fill(template, *MIXED)
    assert type(out) is Markup
    assert out == template % tuple(MIXED)
    assert "<b>trusted</b>" in out and "<script>" not in out and "&lt;script&gt;" in out
    texts = [x for x in MIXED if isinstance(x, (str, _Html))]
    for sep in (Markup(""), Markup("<br>"), Markup(" · ")):
        joined = join(sep, texts)
        assert type(joined) is Markup and joined == sep.join(texts)
    assert join(Markup("<br>"), []) == ""


def test_safe_text_shortcut_gives_the_full_translation() -> None:
    # Text with nothing to encode skips str.translate: the same result either way, for every
    # character the table encodes (alone, and inside ordinary text) and for text without any.
    samples = ["", "plain words", "vélo 🚲 #VéloTaf", "a-b.c|d+e", *map(chr, _TABLE)]
    samples += [f"before {chr(code)} after" for code in _TABLE]
    for text in samples:
        out = safe_text(text)
        assert type(out) is Markup
        assert out == text.translate(_TABLE), repr(text)
    assert safe_text(None) == "" and safe_text(12) == "12"


def test_mypy_rejects_plain_str_where_markup_is_required(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent("""
        from markupsafe import Markup
        from cmops.report.safe import safe_text

        def page(body: Markup) -> Markup:
            return body

        page(safe_text("<b>"))
        page("<b>" + "unescaped")
    """))
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
         str(snippet)], capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "snippet.py:9:" in errors[0], run.stdout
    assert 'incompatible type "str"; expected "Markup"' in errors[0]


# -- the whole report, fed hostile input everywhere ---------------------------------------------

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
JS_LINK = "javascript:alert(1)"
PAYLOADS = (SCRIPT, BREAKOUT, JS_LINK)
PROJECT_ROOT = Path(__file__).parent.parent


def _hostile_calendar(root: Path) -> Path:
    """The example calendar with a hostile channel label, campaign, post (text, labels, alt
    text, link), pause reason and ledger records (live URL, error message)."""
    import json
    import shutil

    from cmops.ledger import Attempt, PartRecord, PartState, Record, RecordState, dumps
    from cmops.stores import record_path

    shutil.copytree(PROJECT_ROOT / "calendar", root / "calendar")
    every = f"{SCRIPT} {BREAKOUT} [x]({JS_LINK}) <{JS_LINK}>"
    channels = root / "calendar/channels.yaml"
    text = channels.read_text("utf-8")
    assert "label: Newsroom feed" in text
    channels.write_text(text.replace("label: Newsroom feed",
                                     f"label: {json.dumps(SCRIPT + BREAKOUT)}"), "utf-8")
    (root / "calendar/campaigns/evil.yaml").write_text(
        f"id: evil-campaign\nname: {json.dumps(BREAKOUT + SCRIPT)}\nstart: 2026-11-20\n"
        f"end: 2026-11-30\ndescription: {json.dumps(every)}\nowner: {json.dumps(BREAKOUT)}\n"
        "goals: {comments: 5}\n", "utf-8")
    (root / "calendar/posts/2026-11/evil.yaml").write_text(
        "id: evil-post\npublish_at: 2026-11-25T10:00\nchannels: [newsroom, bluesky-main]\n"
        f"status: ready\ncampaign: evil-campaign\nlabels: [{json.dumps(SCRIPT)}]\n"
        f"text: {json.dumps(every)}\n"
        f"link:\n  url: {json.dumps(JS_LINK)}\n  title: {json.dumps(BREAKOUT)}\n"
        "media:\n  - path: calendar/media/halo.png\n"
        f"    alt: {json.dumps(BREAKOUT + SCRIPT)}\n", "utf-8")
    (root / "calendar/pause.yaml").write_text(
        f"paused: true\nreason: {json.dumps(every)}\nsince: \"2026-11-24T07:30:00Z\"\n"
        f"by: {json.dumps(BREAKOUT)}\n", "utf-8")
    state = root / ".cmops/state"
    at = "2026-11-24T07:31:00Z"
    records = [
        Record("evil-post/newsroom", "evil-post", "newsroom", "outbox",
               state=RecordState.PUBLISHED, publish_at=at,
               parts=[PartRecord(PartState.PUBLISHED, "d0", sent_at=at, url=JS_LINK, at=at)],
               attempts=[Attempt("run1", 0, at, "published")]),
        Record("evil-post/bluesky-main", "evil-post", "bluesky-main", "bluesky",
               state=RecordState.FAILED, publish_at=at, error=f"HTTP 422: {every}",
               attempts=[Attempt("run1", 0, at, "failed", BREAKOUT)]),
    ]
    for record in records:
        path = state / record_path(record.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dumps(record))
    return root


def test_hostile_input_never_reaches_a_generated_page_unescaped(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from cmops.report import generate
    from cmops.report.sources import read_dir
    from cmops.stores.local import LocalStore
    from cmops.validate import load_calendar

    root = _hostile_calendar(tmp_path / "content")
    calendar, report = load_calendar(root, use_cache=False)
    state = root / ".cmops/state"
    generated = generate(root, calendar, LocalStore(state).load(), read_dir(state),
                         datetime(2026, 11, 24, 8, 0, tzinfo=UTC), errors=len(report.errors))
    pages = {rel: data.decode("utf-8") for rel, data in generated.files.items()
             if rel.endswith((".md", ".html"))}
    assert pages
    for rel, text in pages.items():
        lowered = text.lower()
        for needle in (*PAYLOADS, "<script", "<img src=x", "onerror=", "javascript:"):
            assert needle not in lowered, (rel, needle)
    everything = "\n".join(pages.values())
    # The hostile text did reach the pages, as inert text.
    for shown in (safe_text(SCRIPT + BREAKOUT), safe_text(BREAKOUT + SCRIPT),
                  safe_text(f"HTTP 422: {SCRIPT}"), safe_text(JS_LINK)):
        assert shown in everything, shown
    assert 'href="javascript' not in everything.lower()
    # On the post's page: its text, alt text and labels, and its link shown as text only.
    posts = pages["posts/2026-11/index.md"]
    every = f"{SCRIPT} {BREAKOUT} [x]({JS_LINK}) <{JS_LINK}>"
    for shown in (safe_text(every), safe_text(BREAKOUT + SCRIPT), safe_text(SCRIPT)):
        assert shown in posts, shown
    assert '<span class="cm-unsafe-url">javascript&#58;alert(1)</span>' in posts


def test_mypy_rejects_plain_str_passed_to_the_report_html_helpers(tmp_path: Path) -> None:
    snippet = tmp_path / "helpers.py"
    snippet.write_text(textwrap.dedent("""
        from markupsafe import Markup
        from cmops.report.html import admonition, document, table
        from cmops.report.safe import safe_text

        ok = admonition("note", "t", Markup("<p>{}</p>").format("<b>"))
        ok2 = table(["head"], [Markup("<tr><td>{}</td></tr>").format(safe_text("x"))])
        page = document("t", [ok, ok2])
        admonition("note", "t", "<p>" + "unescaped" + "</p>")
        table(["head"], ["<tr><td>unescaped</td></tr>"])
        document("t", [f"<p>{'unescaped'}</p>"])
        admonition("note", "t", page)  # a whole page (MarkdownPage) is not an HTML fragment
    """))
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
         str(snippet)], capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert [e.split(":")[1] for e in errors] == ["9", "10", "11", "12"], run.stdout
    assert all('"str"' in e and "Markup" in e for e in errors[:3]), run.stdout
    assert '"MarkdownPage"; expected "Markup"' in errors[3], run.stdout


def test_safe_url_shortcut_only_passes_characters_the_full_check_passes() -> None:
    import unicodedata

    from cmops.report.safe import _PLAIN_URL, safe_url

    for code in range(0x3000):
        ch = chr(code)
        full = not (ch.isspace() or unicodedata.category(ch)[0] == "C" or ch in "\"'<>`\\")
        if _PLAIN_URL.fullmatch(ch):
            assert full, repr(ch)
    assert safe_url("https://example.org/a?b=c&d=%20#x") == "https://example.org/a?b=c&d=%20#x"
    assert safe_url("https://example.org/é") == "https://example.org/é"
    assert safe_url("https://example.org/a\u202eb") is None
    assert safe_url('https://example.org/"x') is None
