"""Website traffic from Google Analytics 4: the service-account sign-in (a JWT the loopback
fake verifies with the public half of a key pair made here), runReport's request and paging,
the store file, failures and redaction, and the table on each campaign page."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.conftest import Runner
from tests.fakes.ga4 import FakeGa4, Visit
from tests.report_content import generate_site as _generate
from tests.report_content import make_content
from tests.report_content import page_text as _page

from cmops import ga4
from cmops.adapters.base import Rejected
from cmops.collect import CollectResult, collect
from cmops.listening import parse_listening
from cmops.model import Calendar, Campaign
from cmops.report.sources import parse_sources
from cmops.secrets import Redactor
from cmops.snapshots import merge_analytics
from cmops.stores.local import LocalStore

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
EMAIL = "cmops-reader@cmops-test.iam.gserviceaccount.com"
KEY_ID = "5f1c0ffee5f1c0ffee5f1c0ffee5f1c0ffee0001"


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """The service account's key pair, and a stranger's."""
    return (rsa.generate_private_key(public_exponent=65537, key_size=2048),
            rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def fake(keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> Iterator[FakeGa4]:
    with FakeGa4(keys[0].public_key(), EMAIL).running() as server:
        yield server


def key_json(fake: FakeGa4, key: rsa.RSAPrivateKey) -> str:
    return json.dumps({"type": "service_account", "project_id": "cmops-test",
                       "private_key_id": KEY_ID, "private_key": _pem(key),
                       "client_email": EMAIL, "client_id": "104200000000000000001",
                       "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                       "token_uri": fake.token_uri})


def calendar() -> Calendar:
    cal = Calendar(timezone="Europe/Paris")
    for raw in ({"id": "winter-lights-2026", "name": "Winter",
                 "utm": {"source": "{network}", "campaign": "winter-lights-2026"}},
                {"id": "spring", "name": "Spring", "utm": {"campaign": "spring-{network}"}},
                {"id": "untagged", "name": "No UTM"}):
        found = Campaign.from_raw(raw, f"calendar/campaigns/{raw['id']}.yaml")
        assert found is not None
        cal.add_campaign(found)
    return cal


class Run:
    def __init__(self, fake: FakeGa4, tmp_path: Path, env: dict[str, str]) -> None:
        self.redactor = Redactor()
        self.waits: list[float] = []
        config = ga4.Ga4Config("123456789", "GA4_KEY", days=30, server=fake.url)
        self.setup = ga4.Ga4Setup(config, env, self.redactor, sleep=self.waits.append)
        self.store = LocalStore(tmp_path / "state")
        self.progress: list[tuple[str, str]] = []

    def __call__(self, at: datetime = NOW, since: datetime | None = None) -> CollectResult:
        def refuse(channel: str) -> Any:
            raise AssertionError(f"no channel is read here, not {channel}")

        return collect(calendar(), parse_listening(None), self.store, refuse, at, since,
                       lambda c, m: self.progress.append((c, m)), analytics=self.setup)

    def file(self, day: str = "2026-11-27") -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.store.read_files("analytics")
                                          [f"analytics/{day}.json"])
        return data


@pytest.fixture
def ga(fake: FakeGa4, tmp_path: Path, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
        ) -> Run:
    return Run(fake, tmp_path, {"GA4_KEY": key_json(fake, keys[0])})


def script(fake: FakeGa4) -> None:
    fake.rows = [
        Visit(date(2026, 11, 25), "winter-lights-2026", "mastodon", 30, 21, 2),
        Visit(date(2026, 11, 26), "Winter-Lights-2026", "bluesky", 12, 5, 0),
        Visit(date(2026, 11, 26), "spring-mastodon", "mastodon", 4, 4, 1),
        Visit(date(2026, 11, 26), "(organic)", "google", 900, 600, 40),
        Visit(date(2026, 10, 1), "winter-lights-2026", "mastodon", 99, 99, 9),  # too old
    ]


WANTED_FILTER = {"orGroup": {"expressions": [
    {"filter": {"fieldName": "sessionCampaignName", "inListFilter": {
        "values": ["winter-lights-2026"], "caseSensitive": False}}},
    {"filter": {"fieldName": "sessionCampaignName", "stringFilter": {
        "matchType": "FULL_REGEXP", "value": "spring-.+", "caseSensitive": False}}}]}}


def test_collect_signs_in_reads_the_report_and_stores_it(ga: Run, fake: FakeGa4) -> None:
    script(fake)
    result = ga()
    assert result.ok and result.analytics is not None
    assert result.analytics.as_json() == {
        "source": "ga4", "property": "123456789", "start": "2026-10-29", "end": "2026-11-27",
        "rows": 3, "sessions": 46, "campaigns": 2, "unavailable": None, "error": None}
    assert result.as_json()["analytics"] == result.analytics.as_json()
    assert result.analytics.line() == ("analytics: 46 session(s) from 2 campaign(s), "
                                       "2026-10-29 to 2026-11-27 (GA4 property 123456789)")
    # One sign-in with a verified assertion, one report with exactly this body.
    assert [f["grant_type"] for f in fake.token_requests] == [[ga4.JWT_BEARER]]
    assert fake.claims[0]["iss"] == EMAIL and fake.claims[0]["aud"] == fake.token_uri
    assert fake.reports == [{
        "dateRanges": [{"startDate": "2026-10-29", "endDate": "2026-11-27"}],
        "dimensions": [{"name": "date"}, {"name": "sessionCampaignName"},
                       {"name": "sessionSource"}],
        "metrics": [{"name": "sessions"}, {"name": "engagedSessions"}, {"name": "keyEvents"}],
        "dimensionFilter": WANTED_FILTER, "limit": 10000}]
    assert ga.file() == {
        "format": 1, "source": "ga4", "property": "123456789",
        "collected_at": "2026-11-27T09:00:00Z", "start": "2026-10-29", "end": "2026-11-27",
        "rows": [
            {"date": "2026-11-25", "campaign": "winter-lights-2026", "source": "mastodon",
             "sessions": 30, "engaged_sessions": 21, "key_events": 2},
            {"date": "2026-11-26", "campaign": "Winter-Lights-2026", "source": "bluesky",
             "sessions": 12, "engaged_sessions": 5, "key_events": 0},
            {"date": "2026-11-26", "campaign": "spring-mastodon", "source": "mastodon",
             "sessions": 4, "engaged_sessions": 4, "key_events": 1}]}
    assert result.written == ["analytics/2026-11-27.json"]
    assert ("analytics", "signing in") in ga.progress


def test_pages_follow_offset_up_to_row_count(ga: Run, fake: FakeGa4) -> None:
    fake.rows = [Visit(date(2026, 11, d), "winter-lights-2026", "mastodon", d, 1)
                 for d in range(1, 8)]
    fake.page_cap = 3
    result = ga()
    assert result.analytics is not None and result.analytics.rows == 7
    assert [r.get("offset") for r in fake.reports] == [None, 3, 6]
    assert len(fake.token_requests) == 1
    assert [r["sessions"] for r in ga.file()["rows"]] == list(range(1, 8))


def test_a_second_collect_replaces_the_days_it_read(ga: Run, fake: FakeGa4) -> None:
    script(fake)
    ga()
    fake.rows = [Visit(date(2026, 11, 26), "winter-lights-2026", "bluesky", 15, 6)]
    result = ga(datetime(2026, 11, 27, 18, 0, tzinfo=UTC), since=datetime(2026, 11, 26,
                                                                            tzinfo=UTC))
    assert result.analytics is not None and result.analytics.start == date(2026, 11, 26)
    body = ga.file()
    assert (body["start"], body["end"]) == ("2026-10-29", "2026-11-27")
    assert [(r["date"], r["campaign"], r["sessions"]) for r in body["rows"]] == [
        ("2026-11-25", "winter-lights-2026", 30), ("2026-11-26", "winter-lights-2026", 15)]


def test_without_the_secret_it_is_unavailable_not_a_failure(fake: FakeGa4,
                                                            tmp_path: Path) -> None:
    run = Run(fake, tmp_path, {})
    result = run()
    assert result.ok and result.analytics is not None
    assert result.analytics.line() == "analytics unavailable: GA4_KEY not set"
    assert result.written == [] and fake.token_requests == [] and fake.reports == []


def test_without_a_tagged_campaign_nothing_is_asked(ga: Run, fake: FakeGa4) -> None:
    untagged = Calendar()
    found = Campaign.from_raw({"id": "plain", "name": "Plain"}, "c.yaml")
    assert found is not None
    untagged.add_campaign(found)
    reading = ga4.read_traffic(ga.setup, list(untagged.campaigns.values()),
                               date(2026, 11, 1), date(2026, 11, 27))
    assert reading.unavailable == "no campaign tags its links (utm in the campaign file)"
    assert fake.token_requests == []


def test_rate_limit_waits_as_asked_then_reads(ga: Run, fake: FakeGa4) -> None:
    script(fake)
    fake.faults = ["429"]
    result = ga()
    assert result.ok and ga.waits == [7.0]
    assert result.analytics is not None and result.analytics.rows == 3


def test_a_long_rate_limit_is_reported_and_fails_the_run(ga: Run, fake: FakeGa4) -> None:
    fake.faults = ["429:3600"]
    result = ga()
    assert not result.ok and ga.waits == []
    assert result.analytics is not None
    assert result.analytics.error == ("GA4 runReport: HTTP 429 RESOURCE_EXHAUSTED Exhausted "
                                      "property tokens per hour for this property.")
    assert result.written == []


@pytest.mark.parametrize(("fault", "expected"), [
    ("403", "GA4 runReport: HTTP 403 PERMISSION_DENIED User does not have sufficient "
            "permissions for this property. (is the service account a Viewer of the "
            "property?)"),
    ("500", "GA4 runReport: HTTP 500 INTERNAL Internal error encountered.")])
def test_api_errors_are_reported(ga: Run, fake: FakeGa4, fault: str, expected: str) -> None:
    fake.faults = [fault]
    result = ga()
    assert result.analytics is not None and result.analytics.error == expected
    assert not result.ok


def test_a_key_the_property_does_not_know_is_refused(
        fake: FakeGa4, tmp_path: Path, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]
) -> None:
    run = Run(fake, tmp_path, {"GA4_KEY": key_json(fake, keys[1])})
    result = run()
    assert result.analytics is not None
    assert result.analytics.error == ("GA4 sign-in: HTTP 400 invalid_grant Invalid JWT "
                                      "Signature.")
    assert fake.reports == []


@pytest.mark.parametrize("value", ["not json", json.dumps({"type": "authorized_user"}),
                                   json.dumps(["x"])])
def test_a_value_that_is_not_a_service_account_key_is_refused(
        fake: FakeGa4, tmp_path: Path, value: str) -> None:
    run = Run(fake, tmp_path, {"GA4_KEY": value})
    result = run()
    assert result.analytics is not None and result.analytics.error is not None
    assert result.analytics.error.startswith("GA4_KEY ")
    assert value not in result.analytics.error or len(value) < 4


def test_key_and_tokens_never_reach_output_or_files(
        ga: Run, fake: FakeGa4, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> None:
    script(fake)
    ga()
    fake.faults = ["echo"]
    result = ga(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    assert result.analytics is not None and result.analytics.error is not None
    assert "Bearer [REDACTED]" in result.analytics.error
    token = next(iter(fake.issued))
    pem = _pem(keys[0])
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    seen = json.dumps(result.as_json()) + repr(ga.progress) + json.dumps(ga.file())
    for secret in (token, pem, body[:64], body[64:128], KEY_ID):
        assert secret not in seen
        assert ga.redactor(f"x {secret} y") == "x [REDACTED] y"


def test_plain_http_beyond_loopback_is_refused(ga: Run) -> None:
    ga.setup.config = ga4.Ga4Config("123456789", "GA4_KEY", server="http://ga4.example")
    result = ga()
    assert result.analytics is not None
    assert result.analytics.error == ("refusing to send GA4 credentials to the Data API over "
                                      "plain http: http://ga4.example")


# -- pure parts -----------------------------------------------------------------------------


def test_parse_rows_checks_headers_and_values() -> None:
    good: dict[str, Any] = {"dimensionHeaders": [{"name": n} for n in ga4.DIMENSIONS],
            "metricHeaders": [{"name": n, "type": "TYPE_INTEGER"} for n in ga4.METRICS],
            "rows": [{"dimensionValues": [{"value": "20261126"}, {"value": "w"},
                                          {"value": "bluesky"}],
                      "metricValues": [{"value": "3"}, {"value": "2"}, {"value": "1.5"}]}],
            "rowCount": 1}
    assert ga4.parse_rows(good) == [ga4.TrafficRow(date(2026, 11, 26), "w", "bluesky", 3, 2,
                                                   1.5)]
    assert ga4.parse_rows({"rowCount": 0}) == []
    bad: list[tuple[dict[str, Any], str]] = [
        ({**good, "metricHeaders": [{"name": "sessions"}]}, "other metricHeaders"),
        ({"rows": [{**good["rows"][0], "metricValues": [{"value": "-1"}] * 3}]},
         "not a count"),
        ({"rows": [{**good["rows"][0], "metricValues": [{"value": "NaN"}] * 3}]},
         "not a count"),
        ({"rows": [{**good["rows"][0], "dimensionValues": [{"value": "2026-11-26"},
                                                           {"value": "w"}, {"value": "s"}]}]},
         "not YYYYMMDD"),
        ({"rows": [{"dimensionValues": []}]}, "not the 3 asked for")]
    for body, message in bad:
        with pytest.raises(ga4.MalformedReport, match=message):
            ga4.parse_rows(body)


def test_campaign_patterns_follow_the_utm_templates() -> None:
    cal = calendar()
    assert ga4.campaign_filter(cal.campaigns.values()) == WANTED_FILTER
    winter = ga4.campaign_matcher(cal.campaigns["winter-lights-2026"])
    spring = ga4.campaign_matcher(cal.campaigns["spring"])
    assert winter is not None and spring is not None
    assert winter.fullmatch("WINTER-lights-2026") and not winter.fullmatch("winter-lights-20260")
    assert spring.fullmatch("spring-bluesky") and not spring.fullmatch("spring-")
    assert ga4.campaign_matcher(cal.campaigns["untagged"]) is None
    odd = Campaign.from_raw({"id": "a.b", "name": "x", "utm": {"medium": "social"}}, "f")
    assert odd is not None
    assert ga4.campaign_filter([odd]) == {"filter": {
        "fieldName": "sessionCampaignName",
        "inListFilter": {"values": ["a.b"], "caseSensitive": False}}}
    matcher = ga4.campaign_matcher(odd)
    assert matcher is not None and not matcher.fullmatch("aXb")


def test_assertion_is_an_rs256_jwt_of_at_most_an_hour(
        keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> None:
    account = ga4.ServiceAccount(EMAIL, _pem(keys[0]), key_id=KEY_ID)
    jwt = ga4.assertion(account, "https://oauth2.googleapis.com/token", 1_790_000_000)
    header, claims, _ = jwt.split(".")
    decode = base64.urlsafe_b64decode
    assert json.loads(decode(header + "==")) == {"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
    assert json.loads(decode(claims + "==")) == {
        "iss": EMAIL, "scope": "https://www.googleapis.com/auth/analytics.readonly",
        "aud": "https://oauth2.googleapis.com/token", "iat": 1_790_000_000,
        "exp": 1_790_003_600}
    assert "=" not in jwt
    assert repr(account).count("PRIVATE") == 0


def test_config_parses_and_rejects() -> None:
    assert ga4.parse_config("ga4:\n  property: 123456789\n  secret: GA4_KEY\n") == \
        ga4.Ga4Config("123456789", "GA4_KEY")
    assert ga4.parse_config("# nothing yet\n") is None
    assert ga4.parse_config("{}\n") is None
    for text in ("ga4:\n  property: G-ABC123\n  secret: GA4_KEY\n",
                 "ga4:\n  property: '1'\n  secret: GA4_KEY\n  token: x\n",
                 "ga4:\n  property: '1'\n  secret: '{\"private_key\": \"x\"}'\n",
                 "ga4:\n  property: '1'\n  secret: K\n  server: http://ga4.example\n",
                 "ga4: [\n"):
        with pytest.raises(ga4.AnalyticsError):
            ga4.parse_config(text)


def test_validate_checks_analytics_yaml(run: Runner, repo: Path) -> None:
    (repo / "calendar/analytics.yaml").write_text(
        "ga4:\n  property: \"123\"\n  secret: GA4_KEY\n  dayz: 3\n", "utf-8")
    result = run("validate", root=repo)
    assert result.exit_code == 1
    assert "calendar/analytics.yaml:4:3: error: ga4.dayz: unknown field 'dayz' (did you " \
           "mean 'days'?)" in result.stdout
    (repo / "calendar/analytics.yaml").write_text(
        "ga4:\n  property: \"123\"\n  secret: GA4_KEY\n  days: 3\n", "utf-8")
    assert run("validate", root=repo).exit_code == 0


# -- the store and the site -----------------------------------------------------------------


def _file(start: str, end: str, collected: str, *rows: tuple[str, str, str, int]) -> bytes:
    return json.dumps({"format": 1, "source": "ga4", "property": "1", "collected_at": collected,
                       "start": start, "end": end, "rows": [
                           {"date": d, "campaign": c, "source": s, "sessions": n,
                            "engaged_sessions": n // 2, "key_events": 0}
                           for d, c, s, n in rows]}).encode()


def test_sources_let_a_later_reading_replace_the_days_it_covers() -> None:
    sources = parse_sources({
        "analytics/2026-11-20.json": _file("2026-11-01", "2026-11-20", "2026-11-20T06:00:00Z",
                                           ("2026-11-10", "w", "mastodon", 10),
                                           ("2026-11-19", "w", "mastodon", 3)),
        "analytics/2026-11-21.json": _file("2026-11-19", "2026-11-21", "2026-11-21T06:00:00Z",
                                           ("2026-11-19", "w", "mastodon", 5),
                                           ("2026-11-21", "w", "bluesky", 2)),
        "analytics/2026-11-22.json": b"{not json",
        "analytics/2026-11-23.json": _file("2026-11-20", "2026-11-21", "2026-11-23T06:00:00Z",
                                           ("2026-11-01", "w", "x", 1)),
    })
    assert [(v.day.day, v.source, v.sessions) for v in sources.visits] == [
        (10, "mastodon", 10), (19, "mastodon", 5), (21, "bluesky", 2)]
    assert (sources.traffic_files, sources.traffic_first, sources.traffic_last) == (
        2, date(2026, 11, 1), date(2026, 11, 21))
    assert sources.bad == ["analytics/2026-11-22.json: not valid JSON",
                           "analytics/2026-11-23.json: a row of 2026-11-01 is outside "
                           "2026-11-20 to 2026-11-21"]


def test_merge_keeps_another_property_out() -> None:
    old = _file("2026-11-01", "2026-11-27", "2026-11-27T06:00:00Z",
                ("2026-11-02", "w", "s", 1))
    fresh = json.loads(_file("2026-11-20", "2026-11-27", "2026-11-27T07:00:00Z"))
    fresh["property"] = "2"
    assert json.loads(merge_analytics(old, fresh))["rows"] == []


def _traffic_section(page: str) -> str:
    found = re.search(r'<section class="cm-traffic">(.*?)</section>', page, re.S)
    assert found, "no traffic section"
    return html.unescape(found[1])


def test_campaign_pages_show_traffic_per_source(tmp_path: Path) -> None:
    root = make_content(tmp_path / "c")
    state = root / ".cmops/state/analytics"
    state.mkdir(parents=True)
    (state / "2026-11-24.json").write_bytes(_file(
        "2026-10-26", "2026-11-24", "2026-11-24T06:00:00Z",
        ("2026-11-20", "winter-lights-2026", "mastodon", 40),
        ("2026-11-21", "Winter-Lights-2026", "bluesky", 1200),
        ("2026-11-22", "winter-lights-2026", "mastodon", 2),
        ("2026-11-22", "<script>x</script>", "evil", 5)))
    generated = _generate(root)
    winter = _traffic_section(_page(generated, "campaigns/winter-lights-2026/index.md"))
    cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", winter)
    assert cells == ["Source (utm_source)", "Sessions", "Engaged sessions", "Key events",
                     "bluesky", "1,200", "600", "0", "mastodon", "42", "21", "0",
                     "Total", "1,242", "621", "0"]
    assert "utm_campaign winter-lights-2026, Mon 26 Oct 2026 to Tue 24 Nov 2026" in winter
    spring = _traffic_section(_page(generated, "campaigns/spring-launch-2027/index.md"))
    assert "no visit from this campaign's links (utm_campaign spring-launch-2027)" in spring
    hostile = _traffic_section(_page(generated, "campaigns/hostile-launch/index.md"))
    assert "carry no UTM tags" in hostile
    assert "<script>x" not in _page(generated, "campaigns/winter-lights-2026/index.md")


def test_campaign_pages_without_traffic_say_how_to_get_it(tmp_path: Path) -> None:
    generated = _generate(make_content(tmp_path / "c"))
    winter = _traffic_section(_page(generated, "campaigns/winter-lights-2026/index.md"))
    assert "No website traffic collected: configure Google Analytics 4 in " \
           "calendar/analytics.yaml, then run cmops collect." in winter
    assert "<table" not in winter


def test_the_fake_refuses_what_google_refuses(ga: Run, fake: FakeGa4) -> None:
    account = ga4.service_account(ga.setup.env["GA4_KEY"], "GA4_KEY", ga.redactor)
    with ga4.Ga4Client(ga.setup, account) as client:
        body = ga4.report_body(date(2026, 11, 1), date(2026, 11, 2), WANTED_FILTER)
        for change, message in (
                ({"returnQuota": True}, 'Unknown name "returnQuota"'),
                ({"metrics": [{"name": "conversions"}]}, "not a valid metric"),
                ({"dimensionFilter": {"filter": {"fieldName": "sessionSource"}}},
                 "invalid filter")):
            with pytest.raises(Rejected, match=message):
                client.run_report({**body, **change})
        client.token = "ya29.forged"
        with pytest.raises(Rejected, match="UNAUTHENTICATED"):
            client.run_report(body)


def test_collect_command_reports_ga4_unavailable_without_the_key(tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from cmops.cli import cli

    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent / "examples/base", root)
    (root / "calendar/analytics.yaml").write_text(
        "ga4:\n  property: '123456789'\n  secret: GA4_TEST_KEY\n", "utf-8")
    result = CliRunner().invoke(cli, ["--root", str(root), "collect", "--at",
                                      "2026-11-24T08:00Z"], env={"GA4_TEST_KEY": ""},
                                catch_exceptions=False, standalone_mode=False)
    assert "analytics unavailable: GA4_TEST_KEY not set" in result.stdout
