"""Logins: the admin's and the inbox's are throttled together, unknown usernames too."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def test_the_admin_login_is_throttled_like_the_inbox_login(org_a, org_b, settings):
    """Five wrong passwords for one username from one address lock that pair out of both logins."""
    client = Client()
    admin_login = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(admin_login, {"username": "bob", "password": "wrong"}).status_code == 200
    assert client.post(reverse("login"), {"username": "bob", "password": "wrong"}).status_code == 429
    for url in (admin_login, reverse("login")):
        locked = client.post(url, {"username": "bob", "password": "pw-bob-1"})
        assert locked.status_code == 429, url
        assert "Too many failed logins" in locked.content.decode()
        assert "_auth_user_id" not in client.session
    other = Client().post(reverse("login"), {"username": "alice", "password": "pw-alice-1"})  # another username
    assert other.status_code == 302


def test_guessing_unknown_usernames_is_throttled_too(db, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("login"), {"username": "nobody", "password": "guess"}).status_code == 200
    assert client.post(reverse("login"), {"username": "nobody", "password": "guess"}).status_code == 429
