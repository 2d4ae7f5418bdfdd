"""The report's HTML helpers return markupsafe.Markup: hostile text comes out inert."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from markupsafe import Markup

from cmops.report.safe import safe_link, safe_text

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
