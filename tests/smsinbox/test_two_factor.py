"""Two-factor sign-in through the pages: enrollment, the code step with codes computed here (django-otp's own
TOTP helper), recovery codes working once, throttling, the organization's requirement, Django admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from smsinbox import two_factor
from smsinbox.models import Organization
from smsinbox.web.consumers import session_user

PASSWORD = "pw-alice-1"


def code_for(device: TOTPDevice, *, step_offset: int = 0) -> str:
    """The device's code, as the app shows it (``step_offset`` steps of 30 s on: a code once used is spent, and
    the server accepts the next step's too)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + step_offset * device.step
    return f"{totp.token():06d}"


def enroll(client: Client) -> tuple[TOTPDevice, list[str]]:
    """Set up two-factor through the pages; return the device and the recovery codes shown."""
    assert client.post("/settings/two-factor/").status_code == 302
    page = client.get("/settings/two-factor/setup/").content.decode()
    assert 'src="data:image/svg+xml' in page
    device = TOTPDevice.objects.get(user__username="alice", confirmed=False)
    assert two_factor.secret_text(device) in page  # the secret to type, beside the QR code
    answer = client.post("/settings/two-factor/setup/", {"token": code_for(device)})
    assert answer.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", answer.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


@pytest.fixture
def enrolled(client, org_a):
    client.force_login(org_a.user)
    device, codes = enroll(client)
    client.logout()
    return device, codes


def password_step(client: Client, next_url: str = "/") -> object:
    return client.post(f"/accounts/login/?next={next_url}", {"username": "alice", "password": PASSWORD})


def test_enrolling_shows_a_qr_code_the_secret_and_ten_recovery_codes_once(client, org_a):
    client.force_login(org_a.user)
    assert "<strong>Off.</strong>" in client.get("/settings/two-factor/").content.decode()
    enroll(client)
    page = client.get("/settings/two-factor/").content.decode()
    assert "<strong>On.</strong>" in page
    assert "10 left" in page
    assert "<code>" not in page  # the codes are never shown again
    assert client.get("/").status_code == 200  # enrolling verified this session


def test_a_wrong_first_code_is_a_form_error_and_nothing_is_confirmed(client, org_a):
    client.force_login(org_a.user)
    client.post("/settings/two-factor/")
    response = client.post("/settings/two-factor/setup/", {"token": "000000x"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not two_factor.has_device(org_a.user)


def test_signing_in_needs_the_code_after_the_password(client, org_a, enrolled):
    device, _ = enrolled
    response = password_step(client, "/contacts/")
    assert response.status_code == 302
    inbox = client.get("/contacts/")
    assert inbox.status_code == 302
    assert inbox["Location"] == "/accounts/two-factor/?next=%2Fcontacts%2F"
    assert client.get("/api/conversations/").status_code == 401  # the API too
    assert client.get("/admin/").status_code == 302  # and Django admin
    assert not session_user(client.session.session_key, org_a.user.pk)  # no websocket either
    page = client.get("/accounts/two-factor/?next=/contacts/").content.decode()
    assert 'autocomplete="one-time-code"' in page
    done = client.post("/accounts/two-factor/", {"token": code_for(device, step_offset=1), "next": "/contacts/"})
    assert done.status_code == 302
    assert done["Location"] == "/contacts/"
    assert client.get("/contacts/").status_code == 200
    assert session_user(client.session.session_key, org_a.user.pk)


def test_a_wrong_code_is_refused_and_the_session_stays_half_signed_in(client, enrolled):
    password_step(client)
    response = client.post(
        "/accounts/two-factor/", {"token": "123456" if code_for(enrolled[0]) != "123456" else "654321"}
    )
    assert response.status_code == 400
    assert "not right" in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_recovery_code_works_once(client, enrolled):
    _, codes = enrolled
    password_step(client)
    assert client.post("/accounts/two-factor/", {"token": codes[0].upper().replace("-", " ")}).status_code == 302
    assert client.get("/").status_code == 200
    client.logout()
    password_step(client)
    again = client.post("/accounts/two-factor/", {"token": codes[0]})
    assert again.status_code == 400
    assert StaticToken.objects.filter(device__user__username="alice").count() == 9


def test_wrong_codes_are_throttled(client, enrolled):
    device, _ = enrolled
    password_step(client)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    client.post("/accounts/two-factor/", {"token": wrong})
    throttled = client.post(
        "/accounts/two-factor/", {"token": code_for(device, step_offset=1)}
    )  # even the right one, at once
    assert throttled.status_code == 400
    assert "Too many wrong codes" in throttled.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_an_organization_requiring_two_factor_sends_members_to_set_it_up(client, org_a):
    Organization.objects.filter(pk=org_a.organization.pk).update(require_two_factor=True)
    password_step(client)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/settings/two-factor/?next=")
    assert 'id="two-factor-required"' in client.get("/settings/two-factor/").content.decode()
    enroll(client)
    assert client.get("/").status_code == 200


def test_turning_it_off_needs_a_code(client, org_a, enrolled):
    _, codes = enrolled
    password_step(client)
    client.post("/accounts/two-factor/", {"token": codes[1]})
    assert client.post("/settings/two-factor/disable/", {"token": "nope"}).status_code == 400
    assert two_factor.has_device(org_a.user)
    # two seconds on (django-otp's throttle: 1 s after one failure)
    StaticDevice.objects.filter(user=org_a.user).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=2)
    )
    assert client.post("/settings/two-factor/disable/", {"token": codes[2]}).status_code == 302
    assert not two_factor.has_device(org_a.user)
    client.logout()
    password_step(client)
    assert client.get("/").status_code == 200  # the password alone again


def test_django_admin_login_goes_through_the_code_step(client, org_a, enrolled):
    device, _ = enrolled
    response = client.post("/admin/login/?next=/admin/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert SESSION_KEY in client.session
    held = client.get("/admin/")
    assert held.status_code == 302
    assert held["Location"].startswith("/accounts/two-factor/")
    client.post("/accounts/two-factor/", {"token": code_for(device, step_offset=1)})
    assert client.get("/admin/").status_code == 200


def test_the_password_step_stays_throttled_by_axes(client, enrolled, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert password_step(client).status_code == 429


def test_the_code_step_and_turning_it_off_need_the_csrf_token(org_a, enrolled):
    _, codes = enrolled
    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")
    token = browser.cookies["csrftoken"].value
    browser.post("/accounts/login/", {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token})
    token = browser.cookies["csrftoken"].value
    assert browser.post("/accounts/two-factor/", {"token": codes[0]}).status_code == 403
    assert StaticToken.objects.filter(device__user=org_a.user).count() == 10
    assert browser.post("/accounts/two-factor/", {"token": codes[0], "csrfmiddlewaretoken": token}).status_code == 302
    token = browser.cookies["csrftoken"].value
    assert browser.post("/settings/two-factor/disable/", {"token": codes[1]}).status_code == 403
    assert two_factor.has_device(org_a.user)
    ok = browser.post("/settings/two-factor/disable/", {"token": codes[1], "csrfmiddlewaretoken": token})
    assert ok.status_code == 302
    assert not two_factor.has_device(org_a.user)


def test_the_code_step_shows_no_main_menu(client, enrolled):
    password_step(client)
    page = client.get("/accounts/two-factor/").content.decode()
    assert 'aria-label="Main"' not in page
    assert "Log out" in page


def test_setting_up_a_wrong_code_and_turning_it_off_are_in_the_audit_log(client, org_a):
    from smsinbox.audit.models import AuditEntry

    client.force_login(org_a.user)
    device, _codes = enroll(client)
    assert AuditEntry.objects.filter(action="auth.two_factor_enabled", actor_id=org_a.user.pk).count() == 1
    two_factor.two_factor_disable(user=org_a.user, token=code_for(device, step_offset=1))
    assert AuditEntry.objects.filter(action="auth.two_factor_disabled", organization=org_a.organization).count() == 1
    device, _codes = enroll(client)
    wrong = "000000" if code_for(device, step_offset=1) != "000000" else "111111"
    with pytest.raises(two_factor.ServiceError):
        two_factor.two_factor_verify(user=org_a.user, token=wrong)
    failed = AuditEntry.objects.get(action="auth.sign_in_failed")
    assert (failed.organization_id, failed.changes) == (org_a.organization.pk, {"step": "two-factor code"})
