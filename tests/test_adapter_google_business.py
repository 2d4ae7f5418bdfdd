"""The Google Business Profile adapter against its strict loopback fake: "What's new", event
and offer posts with their fields and button, one photo by URL, the OAuth refresh, the
reconciliation by the marker Google keeps, deleting, editing, and what cannot be read; and
validate on a local post's fields."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tests.conftest import Runner
from tests.fakes.google_business import ACCESS_TOKEN, FakeGoogleBusiness
from tests.fakes.rigs import context

from cmops.adapters import Edit, MediaFile, Outgoing, Rejected, Remote, Transient, Withdrawal
from cmops.adapters.google_business import NO_INSIGHTS, GoogleBusinessAdapter
from cmops.adapters.reading import reader_of
from cmops.mediaurls import served
from cmops.text.limits import NETWORKS

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PARENT = "accounts/112233445566778899/locations/998877665544332211"
EVENT = {"topic": "event", "event": {"title": "Spring open day", "start": "2027-04-03T10:00",
                                      "end": "2027-04-03T17:30"},
         "call_to_action": {"action": "book", "url": "https://shop.example.org/book"}}


@pytest.fixture
def fake() -> Iterator[FakeGoogleBusiness]:
    server = FakeGoogleBusiness()
    server.clock = lambda: NOW
    with server.running():
        yield server


def adapter(fake: FakeGoogleBusiness, tmp_path: Path, secrets: dict[str, str] | None = None,
            **settings: Any) -> GoogleBusinessAdapter:
    ctx = context("google_business", {"server": fake.url, "account": fake.account,
                                      "location": f"locations/{fake.location}", **settings},
                  secrets or {"token": ACCESS_TOKEN}, tmp_path)
    made = GoogleBusinessAdapter(ctx, sleep=lambda s: None)
    made.probe = lambda url, size: None
    return made


def out(text: str = "New opening hours from Monday", options: dict[str, Any] | None = None,
        media: tuple[MediaFile, ...] = (), lang: str | None = "en") -> Outgoing:
    return Outgoing("p/shop", "p", "shop", 0, 1, text, f"p/shop#0@{NOW.isoformat()}",
                    media=media, lang=lang, published_at=NOW, options=options or {})


def created(fake: FakeGoogleBusiness) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in fake.requests
            if r["method"] == "POST" and r["path"].endswith("/localPosts")]


def test_a_whats_new_post_with_a_photo(fake: FakeGoogleBusiness, tmp_path: Path) -> None:
    photo = tmp_path / "calendar/media/shop.png"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (800, 600), (200, 80, 20)).save(photo)
    gbp = adapter(fake, tmp_path, media_base_url=fake.public_base, media_layout="prepared")
    remote = gbp.publish(out(media=(MediaFile(photo, "calendar/media/shop.png", "Shop"),)))
    path = served(photo, NETWORKS["google_business"]).path
    assert path.endswith(".png")  # Google takes PNG: prepared (metadata stripped), not converted
    assert created(fake) == [{"topicType": "STANDARD",
                              "summary": "New opening hours from Monday",
                              "languageCode": "en",
                              "media": [{"mediaFormat": "PHOTO",
                                         "sourceUrl": fake.public_base + path}]}]
    assert remote == Remote(f"{PARENT}/localPosts/1001",
                            "https://local.google.com/place?id=1&use=posts&lpsid=1001")


def test_an_event_with_its_window_and_a_button(fake: FakeGoogleBusiness,
                                               tmp_path: Path) -> None:
    adapter(fake, tmp_path).publish(out("Come and see us", EVENT, lang=None))
    assert created(fake) == [{
        "topicType": "EVENT", "summary": "Come and see us",
        "event": {"title": "Spring open day", "schedule": {
            "startDate": {"year": 2027, "month": 4, "day": 3},
            "startTime": {"hours": 10, "minutes": 0, "seconds": 0, "nanos": 0},
            "endDate": {"year": 2027, "month": 4, "day": 3},
            "endTime": {"hours": 17, "minutes": 30, "seconds": 0, "nanos": 0}}},
        "callToAction": {"actionType": "BOOK", "url": "https://shop.example.org/book"}}]


def test_an_offer_for_whole_days_with_its_coupon(fake: FakeGoogleBusiness,
                                                 tmp_path: Path) -> None:
    offer = {"topic": "offer", "event": {"title": "10% off", "start": "2027-04-01",
                                         "end": "2027-04-30"},
             "offer": {"coupon": "SPRING10", "redeem_url": "https://shop.example.org/s",
                       "terms": "One per customer."}}
    adapter(fake, tmp_path).publish(out("Spring sale", offer))
    [body] = created(fake)
    assert body["event"]["schedule"] == {"startDate": {"year": 2027, "month": 4, "day": 1},
                                         "endDate": {"year": 2027, "month": 4, "day": 30}}
    assert body["offer"] == {"couponCode": "SPRING10",
                             "redeemOnlineUrl": "https://shop.example.org/s",
                             "termsConditions": "One per customer."}


@pytest.mark.parametrize(("options", "message"), [
    ({"topic": "event"}, "a local post with topic: event needs event: with its title, start "
                         "and end"),
    ({"topic": "offer", "event": {"title": "Sale", "start": "2027-04-01",
                                  "end": "2027-04-30"},
      "call_to_action": {"action": "shop", "url": "https://ex.org"}},
     "Google ignores a call_to_action on an offer (its button is the offer's own): remove "
     "it"),
    ({"call_to_action": {"action": "call", "url": "tel:+331"}},
     "a call button dials the location's phone number: it takes no url"),
    ({"topic": "event", "event": {"title": "X", "start": "2027-04-03T10:00",
                                  "end": "2027-04-02T10:00"}}, "the event ends before it starts"),
])
def test_what_google_would_refuse_is_not_sent(fake: FakeGoogleBusiness, tmp_path: Path,
                                              options: dict[str, Any], message: str) -> None:
    with pytest.raises(Rejected) as caught:
        adapter(fake, tmp_path).publish(out(options=options))
    assert str(caught.value) == f"not sent: {message}"
    assert fake.requests == []


def test_a_post_google_rejects_is_refused(fake: FakeGoogleBusiness, tmp_path: Path) -> None:
    fake.reject_next = True
    with pytest.raises(Rejected, match="state REJECTED"):
        adapter(fake, tmp_path).publish(out())


def test_a_refresh_token_is_exchanged_and_never_printed(fake: FakeGoogleBusiness,
                                                        tmp_path: Path) -> None:
    gbp = adapter(fake, tmp_path, secrets=fake.client_secrets)
    gbp.publish(out())
    assert [r["path"] for r in fake.requests] == ["/token", f"/v4/{PARENT}/localPosts"]
    first = fake.issued[0]
    fake.revoked.add(first)  # an hour later: the token is refused, refreshed once
    gbp.publish(out("Second"))
    assert len(fake.issued) == 2 and len(fake.posts) == 2
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        gbp.publish(out("Third"))
    assert fake.issued[1] not in str(caught.value) and "[REDACTED]" in str(caught.value)


def test_a_lost_answer_is_found_by_its_marker(fake: FakeGoogleBusiness,
                                              tmp_path: Path) -> None:
    gbp = adapter(fake, tmp_path)
    older = out("Come and see us", EVENT)
    gbp.publish(older)  # the same words a week ago: not this attempt
    fake.posts[0]["createTime"] = "2026-11-17T09:00:00Z"
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient) as caught:
        gbp.publish(older)
    assert caught.value.maybe_sent is True
    found = gbp.reconcile(older, NOW, NOW + timedelta(minutes=1))
    assert found == Remote(f"{PARENT}/localPosts/1002",
                           "https://local.google.com/place?id=1&use=posts&lpsid=1002")
    # Another topic with the same words is another post: nothing found, the list read whole.
    assert gbp.reconcile(out("Come and see us"), NOW, NOW) is None


def test_reconciling_pages_through_the_list(fake: FakeGoogleBusiness, tmp_path: Path) -> None:
    gbp = adapter(fake, tmp_path)
    gbp.publish(out("The one"))
    for n in range(150):
        fake.posts.append({"name": f"{PARENT}/localPosts/{n}", "topicType": "STANDARD",
                           "summary": f"other {n}", "createTime": "2026-11-24T09:00:00Z"})
    assert gbp.reconcile(out("The one"), NOW, NOW) is not None
    pages = [r["query"] for r in fake.requests if r["method"] == "GET"]
    assert pages == [{"pageSize": ["100"]}, {"pageSize": ["100"], "pageToken": ["100"]}]


def test_delete_edit_and_read_back(fake: FakeGoogleBusiness, tmp_path: Path) -> None:
    gbp = adapter(fake, tmp_path)
    remote = gbp.publish(out())
    edit = Edit("shop", "p", 0, remote, "Opening hours changed")
    gbp.edit(edit)
    assert gbp.live_text(edit) == "Opening hours changed"
    gbp.delete(Withdrawal("shop", "p", 0, remote))
    gbp.delete(Withdrawal("shop", "p", 0, remote))  # already gone: done
    assert fake.posts == []


def test_nothing_is_read_and_the_reasons_are_given(fake: FakeGoogleBusiness,
                                                   tmp_path: Path) -> None:
    reader = reader_of(adapter(fake, tmp_path))
    assert reader is not None
    assert reader.metrics(["a"]) == {"a": reader.metrics(["a"])["a"]}
    assert reader.followers() is None
    assert reader.inbox(None) == ([], None)
    assert reader.unavailable == {
        "metrics": NO_INSIGHTS, "followers": "a Business Profile has no followers to count",
        "inbox": "reviews and questions are not read in this version"}
    assert fake.requests == []


# -- validate --------------------------------------------------------------------------------
def gbp_repo(repo: Path, variant: str, channels: str = "[shop]") -> None:
    path = repo / "calendar/channels.yaml"
    path.write_text(path.read_text("utf-8") + (
        "  shop:\n    network: google_business\n    account: '112233445566778899'\n"
        "    location: '998877665544332211'\n    secrets:\n      token: GBP_TOKEN\n"), "utf-8")
    (repo / "calendar/posts/local.yaml").write_text(
        f"id: local\nstatus: ready\nchannels: {channels}\npublish_at: 2027-03-02T09:30\n"
        f"text: Spring open day\nvariants:\n{variant}", "utf-8")


def test_validate_accepts_an_event(run: Runner, repo: Path) -> None:
    gbp_repo(repo, "  google_business:\n    topic: event\n    event:\n"
                   "      title: Open day\n      start: 2027-04-03T10:00\n"
                   "      end: 2027-04-03T17:00\n")
    result = run("validate", root=repo)
    assert result.exit_code == 0, result.output


def test_validate_refuses_an_event_without_its_window(run: Runner, repo: Path) -> None:
    gbp_repo(repo, "  shop:\n    topic: event\n")
    result = run("validate", root=repo)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "calendar/posts/local.yaml:8:5: error: variants.shop.topic: shop (google_business): a "
        "local post with topic: event needs event: with its title, start and end "
        "[variant.google_business]")


def test_validate_refuses_local_post_fields_elsewhere(run: Runner, repo: Path) -> None:
    gbp_repo(repo, "  bluesky:\n    topic: offer\n", channels="[shop, bsky]")
    result = run("validate", root=repo)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "calendar/posts/local.yaml:8:5: error: variants.bluesky.topic: topic is for Google "
        "Business Profile channels only, not bluesky (bluesky) [variant.google_business]")


def test_validate_refuses_a_second_photo(run: Runner, repo: Path) -> None:
    image = io.BytesIO()
    Image.new("RGB", (800, 600), (20, 80, 200)).save(image, "JPEG")
    for name in ("a.jpg", "b.jpg"):
        (repo / "calendar/media" / name).write_bytes(image.getvalue())
    gbp_repo(repo, "  shop:\n    media:\n      - {path: calendar/media/a.jpg, alt: A}\n"
                   "      - {path: calendar/media/b.jpg, alt: B}\n")
    channels = repo / "calendar/channels.yaml"
    channels.write_text(channels.read_text("utf-8") + "    media_base_url: https://m.ex/\n",
                        "utf-8")
    result = run("validate", root=repo)
    assert result.exit_code == 1
    assert "shop (google_business) takes at most 1 [media.too-many]" in result.output
