"""Link cards from pages: the tags read from HTML (pure, on strings), and ``cmops card`` /
``cmops new post --link`` against pages served on 127.0.0.1 (redirect chains, cookies, size
cap, missing tags, relative image URLs), writing YAML nothing in a page can break out of."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from tests.conftest import Runner
from tests.fakes.pages import FakeSite, Page, html

from cmops.model import Link
from cmops.pagemeta import MAX_TITLE, PageMeta, parse
from cmops.postfile import with_link


def png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x20\x60\xd0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


IMAGE = png()
ARTICLE = html(
    '<meta charset="utf-8"><title>Le blog de Lumen</title>'
    '<meta property="og:title" content="Rouler de nuit : 3 réflexes">'
    '<meta property="og:description" content="Feu avant, feu arrière &amp; bandes '
    'réfléchissantes.">'
    '<meta name="twitter:title" content="not this one">'
    '<meta property="og:image" content="../img/nuit.png">')


@pytest.fixture
def site() -> Iterator[FakeSite]:
    with FakeSite().running() as server:
        server.pages["/conseils/nuit"] = ARTICLE
        server.pages["/img/nuit.png"] = Page(IMAGE, "image/png")
        yield server


def saved(site: FakeSite, data: bytes = IMAGE) -> str:
    return f"calendar/media/cards/127.0.0.1-{hashlib.sha256(data).hexdigest()[:12]}.png"


# -- reading the tags (pure) --------------------------------------------------------------

def test_opengraph_first_then_twitter_then_the_page_s_own() -> None:
    base = "https://lumen.example/blog/post"
    assert parse(ARTICLE.body.decode(), base) == PageMeta(
        "Rouler de nuit : 3 réflexes", "Feu avant, feu arrière & bandes réfléchissantes.",
        "https://lumen.example/img/nuit.png", True)
    twitter = ('<head><meta name="twitter:title" content="T"><meta name="twitter:description" '
               'content="D"><meta name="twitter:image" content="//cdn.example/i.jpg"></head>')
    assert parse(twitter, base) == PageMeta("T", "D", "https://cdn.example/i.jpg", True)
    plain = ("<head><title>\n  Un   titre\n</title><meta name=description content='Une "
             "description'></head><body><meta property=og:title content=late></body>")
    assert parse(plain, base) == PageMeta("Un titre", "Une description", None, True)
    assert parse("<p>nothing</p>", base) == PageMeta(None, None, None, False)
    assert parse("<head><title>cut", base) == PageMeta(None, None, None, False)


def test_hostile_values_come_out_as_plain_text() -> None:
    page = ('<head><meta property="og:title" content="A\x00 &#x0a;line\u2028break\x1b[31m">'
            '<meta property="og:image" content="javascript:alert(1)">'
            f'<meta property="og:description" content="{"mot " * 400}"></head>')
    meta = parse(page, "https://x.example/")
    assert meta.title == "A line break[31m"
    assert meta.image is None
    assert meta.description is not None and len(meta.description) <= 1000
    assert meta.description.endswith("mot…")
    long = parse(f'<head><meta property="og:title" content="{"x" * 500}"></head>', "http://h/")
    assert long.title == "x" * (MAX_TITLE - 1) + "…"


def test_the_link_mapping_replaces_the_one_in_a_post_file() -> None:
    card = Link("https://x.example/a", 'Title: "quoted"\n- injected: yes #no', "D",
                "calendar/media/cards/x.png")
    source = "id: p\n# a comment\nlink: https://old.example\ntext: hi\n"
    written = with_link(source, card)
    assert written == (
        'id: p\n# a comment\nlink:\n  url: "https://x.example/a"\n'
        '  title: "Title: \\"quoted\\"\\n- injected: yes #no"\n  description: "D"\n'
        '  image: "calendar/media/cards/x.png"\ntext: hi\n')
    assert yaml.safe_load(written)["link"]["title"] == card.title
    block = 'id: p\nlink:\n  url: "https://a.example"\n  title: "A"\ntext: hi'
    assert with_link(block, Link("https://b.example", "B")) == (
        'id: p\nlink:\n  url: "https://b.example"\n  title: "B"\ntext: hi')
    assert with_link("id: p\ntext: hi", Link("https://b.example")) == (
        'id: p\ntext: hi\nlink: "https://b.example"\n')


# -- cmops card ---------------------------------------------------------------------------

def test_card_prints_the_mapping_and_saves_the_image(run: Runner, repo: Path,
                                                     site: FakeSite) -> None:
    result = run("card", f"{site.url}/conseils/nuit", root=repo)
    assert result.exit_code == 0, result.output
    image = saved(site)
    assert result.stdout == (
        f'link:\n  url: "{site.url}/conseils/nuit"\n  title: "Rouler de nuit : 3 réflexes"\n'
        '  description: "Feu avant, feu arrière & bandes réfléchissantes."\n'
        f'  image: "{image}"\n')
    assert (repo / image).read_bytes() == IMAGE
    assert site.paths() == ["/conseils/nuit", "/img/nuit.png"]  # once each
    assert [r["method"] for r in site.requests] == ["GET", "GET"]
    again = run("card", f"{site.url}/conseils/nuit", root=repo)
    assert again.stdout == result.stdout
    assert sorted(p.name for p in (repo / "calendar/media/cards").iterdir()) == [
        Path(image).name]  # the same image is written once


def test_five_redirects_are_followed_six_are_not_and_no_cookie_is_sent(
        run: Runner, repo: Path, site: FakeSite) -> None:
    site.redirects("/five", 5, "/conseils/nuit")
    site.redirects("/six", 6, "/conseils/nuit")
    five = run("card", f"{site.url}/five", "--no-image", root=repo)
    assert five.exit_code == 0, five.output
    assert 'title: "Rouler de nuit : 3 réflexes"' in five.stdout
    assert f'url: "{site.url}/five"' in five.stdout  # the address given, not where it led
    assert site.paths() == ["/five", "/five-hop1", "/five-hop2", "/five-hop3", "/five-hop4",
                            "/conseils/nuit"]
    six = run("card", f"{six_url(site)}", root=repo)
    assert six.exit_code == 1
    assert six.stderr == "cmops card: cannot read the page: more than 5 redirects from the " \
                         "page\n"
    assert len([p for p in site.paths() if p.startswith("/six")]) == 6
    assert "/img/nuit.png" not in site.paths()
    assert all("Cookie" not in r["headers"] and "cookie" not in r["headers"]
               for r in site.requests)  # every hop set one: none was sent back


def six_url(site: FakeSite) -> str:
    return f"{site.url}/six"


def test_size_cap_reads_a_big_page_s_head_but_refuses_an_endless_one(
        run: Runner, repo: Path, site: FakeSite) -> None:
    filler = "<p>" + "x" * 2_000_000 + "</p>"
    site.pages["/big"] = html('<meta property="og:title" content="Big but fine">', filler)
    site.pages["/endless"] = html('<meta property="og:title" content="never seen">'
                                  + "<!--" + "x" * 2_000_000 + "-->")
    big = run("card", f"{site.url}/big", root=repo)
    assert big.exit_code == 0, big.output
    assert 'title: "Big but fine"' in big.stdout
    endless = run("card", f"{site.url}/endless", root=repo)
    assert endless.exit_code == 1
    assert endless.stderr == (
        f"cmops card: cannot read the page: {site.url}/endless: the page is larger than "
        "1048576 bytes and its <head> does not end within them\n")


def test_missing_tags_give_the_host_and_say_so(run: Runner, repo: Path,
                                               site: FakeSite) -> None:
    site.pages["/bare"] = html("")
    site.pages["/pdf"] = Page(b"%PDF-1.7", "application/pdf")
    site.pages["/broken-image"] = html('<meta property="og:title" content="T">'
                                       '<meta property="og:image" content="/nope.png">')
    bare = run("card", f"{site.url}/bare", root=repo)
    assert bare.exit_code == 0
    assert bare.stdout == f'link:\n  url: "{site.url}/bare"\n  title: "127.0.0.1"\n'
    assert bare.stderr == ("warning: the page has no og:title, twitter:title or <title>: the "
                           "host is the title\n")
    broken = run("card", f"{site.url}/broken-image", root=repo)
    assert broken.exit_code == 0
    assert broken.stdout == f'link:\n  url: "{site.url}/broken-image"\n  title: "T"\n'
    assert broken.stderr == f"warning: image left out: {site.url}/nope.png: HTTP 404\n"
    pdf = run("card", f"{site.url}/pdf", root=repo)
    assert (pdf.exit_code, pdf.stderr) == (1, "cmops card: cannot read the page: "
                                              f"{site.url}/pdf: not an HTML page "
                                              "(application/pdf)\n")
    assert run("card", "file:///etc/passwd", root=repo).exit_code == 2
    closed = run("card", "http://127.0.0.1:9/x", root=repo)
    assert closed.exit_code == 1 and "cannot read the page" in closed.stderr
    assert not (repo / "calendar/media/cards").exists()


def test_card_into_a_post_and_new_post_with_a_link(run: Runner, repo: Path,
                                                   site: FakeSite) -> None:
    site.pages["/hostile"] = html(
        '<meta property="og:title" content="Nuit&quot;\n  status: ready\n#">'
        '<meta property="og:image" content="/img/nuit.png">')
    into = run("card", f"{site.url}/hostile", "--post", "minimal-base", root=repo)
    assert into.exit_code == 0, into.output
    data = yaml.safe_load((repo / "calendar/posts/minimal.yaml").read_text())
    assert data == {"id": "minimal-base", "channels": ["news"], "status": "draft",
                    "text": "The base calendar's one post.",
                    "link": {"url": f"{site.url}/hostile", "title": 'Nuit" status: ready #',
                             "image": saved(site)}}
    assert run("validate", root=repo).exit_code == 0
    unknown = run("card", f"{site.url}/hostile", "--post", "nope", root=repo)
    assert unknown.exit_code == 2 and "no such post: nope" in unknown.output
    new = run("new", "post", "--channel", "news", "--text", "Conseils", "--link",
              f"{site.url}/conseils/nuit", root=repo)
    assert new.exit_code == 0, new.output
    written = yaml.safe_load((repo / "calendar/posts/unscheduled/conseils.yaml").read_text())
    assert written["link"] == {"url": f"{site.url}/conseils/nuit",
                               "title": "Rouler de nuit : 3 réflexes",
                               "description": "Feu avant, feu arrière & bandes "
                                              "réfléchissantes.",
                               "image": saved(site)}
    offline = run("new", "post", "--channel", "news", "--text", "Hors ligne", "--link",
                  "http://127.0.0.1:9/x", root=repo)
    assert offline.exit_code == 0
    assert "warning: link card not fetched" in offline.stderr
    assert yaml.safe_load((repo / "calendar/posts/unscheduled/hors-ligne.yaml").read_text())[
        "link"] == "http://127.0.0.1:9/x"
