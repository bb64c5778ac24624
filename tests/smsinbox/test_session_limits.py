"""Idle timeout and maximum session age: the middleware, the session endpoint and the websocket's check, with
the test's clock (``smsinbox.session_limits.clock``)."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY

from smsinbox import session_limits
from smsinbox.models import Organization, User
from smsinbox.services import membership_create, organization_setup
from smsinbox.session_limits import IDLE, MAX_AGE, Limits, ended, limits_for_user, remaining
from smsinbox.web.consumers import session_user

START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(session_limits, "clock", fake)
    return fake


@pytest.fixture
def alice(client, org_a, clock):
    """Signed in at START; organization A keeps the defaults (30 minutes idle, 12 hours at most)."""
    client.force_login(org_a.user)
    return client


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_the_defaults_are_30_minutes_idle_and_12_hours(org_a):
    assert limits_for_user(org_a.user.pk) == Limits(idle_seconds=30 * 60, max_age_seconds=12 * 3600)


def test_the_strictest_organization_wins_and_zero_is_off(org_a, org_b):
    Organization.objects.filter(pk=org_a.organization.pk).update(idle_timeout_minutes=0, max_session_hours=8)
    Organization.objects.filter(pk=org_b.organization.pk).update(idle_timeout_minutes=15, max_session_hours=0)
    membership_create(organization=org_b.organization, user=org_a.user)
    assert limits_for_user(org_a.user.pk) == Limits(idle_seconds=15 * 60, max_age_seconds=8 * 3600)
    Organization.objects.filter(pk=org_b.organization.pk).update(idle_timeout_minutes=0)
    assert limits_for_user(org_a.user.pk) == Limits(idle_seconds=None, max_age_seconds=8 * 3600)
    assert limits_for_user(User.objects.create_user("loner").pk) == Limits(None, None)


def test_ended_and_remaining_by_the_numbers():
    limits = Limits(idle_seconds=600, max_age_seconds=3600)
    data = {session_limits.SIGNED_IN_AT: 0.0, session_limits.ACTIVE_AT: 0.0}
    assert ended(data, limits, 599) is None
    assert ended(data, limits, 600) == IDLE
    assert remaining(data, limits, 100) == (500, True)
    data[session_limits.ACTIVE_AT] = 3300.0
    assert remaining(data, limits, 3400) == (200, False)  # the maximum age comes first: activity cannot help
    assert ended(data, limits, 3600) == MAX_AGE
    assert ended({}, limits, 10**10) is None  # no times yet: measured from when they are set
    assert remaining(data, Limits(None, None), 0) == (None, True)


def test_a_session_idle_past_the_timeout_is_signed_out(alice, clock):
    clock.advance(29 * 60)
    assert alice.get("/").status_code == 200
    clock.advance(29 * 60)  # the page view above was activity
    assert alice.get("/").status_code == 200
    clock.advance(30 * 60)
    response = alice.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not signed_in(alice)


def test_background_polls_are_not_activity(alice, clock, org_a):
    for _ in range(6):  # the inbox's own requests every five minutes: the session still ends at 30
        clock.advance(5 * 60 - 1)
        assert alice.get("/session/").json()["signedIn"] is True
        alice.get("/inbox/sync/", {"since": "2020-01-01T00:00:00Z"})
        alice.get("/views/counts/")
    clock.advance(6)
    assert alice.get("/session/").json() == {"signedIn": False, "expiresIn": None, "renewable": False}
    assert not signed_in(alice)


def test_the_session_endpoint_says_how_long_is_left_and_a_post_is_activity(alice, clock):
    clock.advance(20 * 60)
    assert alice.get("/session/").json() == {"signedIn": True, "expiresIn": 600, "renewable": True}
    assert alice.post("/session/").json() == {"signedIn": True, "expiresIn": 1800, "renewable": True}
    clock.advance(29 * 60)
    assert alice.get("/session/").json()["signedIn"] is True  # "Stay signed in" started the idle clock again


def test_the_maximum_age_ends_an_active_session(alice, clock):
    for _ in range(12 * 2):
        assert alice.get("/").status_code == 200
        clock.advance(29 * 60 + 59)
    assert alice.get("/").status_code == 200  # 11 h 59 min 36 s in: active, but near the maximum age
    answer = alice.get("/session/").json()
    assert answer["renewable"] is False
    assert answer["expiresIn"] == 24
    clock.advance(24)
    assert alice.get("/").status_code == 302
    assert not signed_in(alice)


def test_an_admin_turning_the_timeout_off_keeps_sessions(alice, clock, org_a):
    Organization.objects.filter(pk=org_a.organization.pk).update(idle_timeout_minutes=0, max_session_hours=0)
    clock.advance(40 * 24 * 3600)
    assert alice.get("/session/").json() == {"signedIn": True, "expiresIn": None, "renewable": True}


def test_the_websocket_check_refuses_an_ended_session(alice, clock, org_a):
    key = alice.session.session_key
    assert session_user(key, org_a.user.pk)
    clock.advance(30 * 60)  # no request: nothing logged it out, the keep-alive ping's check still refuses it
    assert not session_user(key, org_a.user.pk)


def test_ending_a_session_closes_its_websockets(alice, clock, org_a, monkeypatch):
    from smsinbox import signals

    heard = []
    monkeypatch.setattr(signals, "publish_session_ended_on_commit", lambda **kw: heard.append(kw))
    clock.advance(30 * 60)
    alice.get("/")
    assert [kw["user_id"] for kw in heard] == [org_a.user.pk]


def test_the_inbox_page_tells_its_script_how_long_is_left(alice, clock):
    clock.advance(60)
    page = alice.get("/").content.decode()
    assert '"session": {"expiresIn": 1800, "renewable": true}' in page


def test_an_older_session_without_times_starts_counting(client, db, clock):
    setup = organization_setup(name="Old", numbers=["+14155550077"], username="olga", password="pw-olga-1")
    client.force_login(setup.user)
    session = client.session
    for key in (session_limits.SIGNED_IN_AT, session_limits.ACTIVE_AT):
        del session[key]
    session.save()
    assert client.get("/").status_code == 200
    clock.advance(30 * 60)
    assert client.get("/").status_code == 302
