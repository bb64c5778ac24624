"""CSRF wherever a session writes: every page and admin post, each form with and without its token, and
the API's session calls (token calls need none)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from conversations.import_jobs import contact_import_create
from conversations.models import CannedReply, Contact, ContactImport, Conversation, Label, Note, SavedView
from messaging.attachments.models import Attachment
from messaging.broadcasts.models import Broadcast
from messaging.hours.models import Holiday, QuietHours
from messaging.hours.services import holiday_add
from messaging.models import Message
from smsinbox.integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint
from smsinbox.integrations.services import (
    api_key_create,
    webhook_endpoint_create,
    webhook_endpoint_send_test,
    webhook_endpoint_set_active,
)
from smsinbox.models import Membership, Organization, User
from smsinbox.notifications.models import PushSubscription
from smsinbox.services import membership_create
from smsinbox.team.models import Invite
from smsinbox.team.services import invite_create
from smsinbox.two_factor import totp_device_start
from tests.api_client import Tenant
from tests.reliability.security.routes import PAGES, ROUTES, form_data, kind, url_for
from tests.reliability.security.world import all_rows, csrf_client, tenant_snapshot
from tests.test_api_isolation import ROUTES as API_OPERATIONS


def test_every_page_and_admin_post_without_a_csrf_token_is_403_and_writes_nothing(world):
    """Signed in, every non-API route refuses a POST without the token (before the view runs)."""
    before = all_rows(), tenant_snapshot(world.a), tenant_snapshot(world.b)
    failures = []
    for route in ROUTES:
        route_kind = kind(route)
        if route_kind == "webhook" or route.pattern.startswith("api/"):  # API: test_session_api_writes_need_…
            continue
        client = csrf_client(world.a.user)
        client.get("/")  # the page sets the CSRF cookie; the post forgets the token
        url = url_for(route, world)
        response = client.post(url, form_data(world))
        if response.status_code != 403:
            failures.append(f"POST {url} -> {response.status_code}")
        if "_auth_user_id" not in client.session:
            failures.append(f"POST {url} logged the user out without a token")
    assert failures == [], "\n".join(failures)
    assert (all_rows(), tenant_snapshot(world.a), tenant_snapshot(world.b)) == before


@dataclass
class Form:
    """A form post of the inbox or the admin, and how to tell it took effect."""

    url: str
    data: dict[str, Any]
    done: Callable[[Client], Any]  # true once the post took effect (given the client that posted)
    user: str = "alice"  # "" for an anonymous form (the login)


def _failed_send(a: Tenant) -> Message:
    """A send of A's that failed for a passing reason (30003): one the Failed page may retry."""
    from messaging.services.outbound import message_send

    sent = message_send(organization=a.organization, sender=a.user, contact=a.contact, body="csrf-failed").message
    Message.objects.filter(pk=sent.pk).update(status="failed", error_code=30003)
    return sent


class _Upload(SimpleUploadedFile):
    """A file the probe posts three times: each post reads it from the start."""

    def read(self, *args: Any) -> bytes:
        self.seek(0)
        return super().read(*args)


def _draft_import(a: Tenant) -> ContactImport:
    """A draft import of A's: the world's, or made here by the service."""
    return ContactImport.objects.filter(organization=a.organization, status="draft").first() or contact_import_create(
        organization=a.organization, actor=a.user, file_name="acme-import.csv", data=b"phone\n+14155550199\n"
    )


def page_forms(a: Tenant) -> dict[str, Form]:
    conversation, contact = a.conversation, a.contact
    failed = _failed_send(a)

    def conversation_now() -> Conversation:
        return Conversation.objects.get(pk=conversation.pk)

    def vip() -> Label:
        return Label.objects.get(organization=a.organization, name="VIP")

    endpoint, delivery, key = _integrations(a)
    paused = WebhookEndpoint.objects.filter(organization=a.organization, active=False).first()
    if paused is None:
        paused = webhook_endpoint_create(
            organization=a.organization, actor=a.user, url="https://paused.acme.example/", event_types=["note.created"]
        )
        webhook_endpoint_set_active(endpoint=paused, actor=a.user, active=False)
    pending_before = delivery.retry_until
    invite, token, member = _team(a)
    draft = _draft_import(a)
    holiday = Holiday.objects.filter(organization=a.organization).first() or holiday_add(
        organization=a.organization, actor=a.user, date=date(2030, 1, 1), name="csrf-holiday"
    )
    pending_device = totp_device_start(user=a.user)  # an authenticator being set up (unconfirmed: no code step)

    def broadcast_state(pk: int) -> str:
        return Broadcast.objects.get(pk=pk).state

    return {
        "broadcast-new": Form(
            "/broadcasts/new/",
            {"body": "csrf-probe-broadcast", "numbers": "+14155550177", "action": "send"},
            lambda c: Broadcast.objects.filter(body="csrf-probe-broadcast").exists(),
        ),
        "broadcast-pause": Form(
            f"/broadcasts/{a.broadcast.pk}/pause/", {}, lambda c: broadcast_state(a.broadcast.pk) == "paused"
        ),
        "broadcast-resume": Form(
            f"/broadcasts/{a.paused_broadcast.pk}/resume/",
            {},
            lambda c: broadcast_state(a.paused_broadcast.pk) == "queued",
        ),
        "broadcast-cancel": Form(
            f"/broadcasts/{a.broadcast.pk}/cancel/", {}, lambda c: broadcast_state(a.broadcast.pk) == "cancelled"
        ),
        "team-auto-assign": Form(
            "/team/auto-assign/",
            {"enabled": "on", "max_open": "3"},
            lambda c: Organization.objects.get(pk=a.organization.pk).auto_assign_max_open == 3,
        ),
        "availability": Form(
            "/settings/availability/",
            {"available": "no"},
            lambda c: not Membership.objects.get(user=a.user, organization=a.organization).available,
        ),
        "contact-import-upload": Form(
            "/contacts/import/",
            {"file": _Upload("csrf-probe.csv", b"phone\n+14155550177\n", "text/csv")},
            lambda c: ContactImport.objects.filter(file_name="csrf-probe.csv").exists(),
        ),
        "attachment-upload": Form(
            f"/c/{conversation.pk}/attachments/",
            {"file": _Upload("csrf-probe.png", b"\x89PNG-probe", "image/png")},
            lambda c: Attachment.objects.filter(name="csrf-probe.png").exists(),
        ),
        "contact-import": Form(
            f"/contacts/import/{draft.pk}/",
            {"action": "start", "map-phone": "0"},
            lambda c: ContactImport.objects.get(pk=draft.pk).status == "queued",
        ),
        "settings-hours": Form(
            "/settings/hours/",
            {"time_zone": "Asia/Tokyo", "auto_reply_every_hours": "12"},
            lambda c: Organization.objects.get(pk=a.organization.pk).time_zone == "Asia/Tokyo",
        ),
        "settings-hours-holiday-add": Form(
            "/settings/hours/holidays/",
            {"date": "2031-05-01", "name": "csrf-probe"},
            lambda c: Holiday.objects.filter(name="csrf-probe").exists(),
        ),
        "settings-hours-quiet": Form(
            "/settings/hours/quiet/",
            {"enabled": "on", "opens": "07:00", "closes": "20:00"},
            lambda c: QuietHours.objects.filter(organization=a.organization, enabled=True).exists(),
        ),
        "settings-hours-holiday-remove": Form(
            f"/settings/hours/holidays/{holiday.pk}/remove/",
            {},
            lambda c: not Holiday.objects.filter(pk=holiday.pk).exists(),
        ),
        "team": Form(
            "/team/",
            {"email": "csrf-probe@example.com", "role": "agent"},
            lambda c: Invite.objects.filter(email="csrf-probe@example.com").exists(),
        ),
        "team-invite-resend": Form(
            f"/team/invites/{invite.pk}/resend/",
            {},
            lambda c: Invite.objects.get(pk=invite.pk).token_hash != invite.token_hash,
        ),
        "team-invite-revoke": Form(
            f"/team/invites/{invite.pk}/revoke/", {}, lambda c: Invite.objects.get(pk=invite.pk).revoked_at is not None
        ),
        "team-member-role": Form(
            f"/team/members/{member.pk}/role/",
            {"role": "admin"},
            lambda c: Membership.objects.get(pk=member.pk).role == "admin",
        ),
        "team-member-deactivate": Form(
            f"/team/members/{member.pk}/deactivate/",
            {"hand_to": ""},
            lambda c: not Membership.objects.filter(pk=member.pk).exists(),
        ),
        "security-settings": Form(
            "/settings/security/",
            {"idle_timeout_minutes": "17", "max_session_hours": "9"},
            lambda c: Organization.objects.get(pk=a.organization.pk).idle_timeout_minutes == 17,
        ),
        "two-factor": Form(
            "/settings/two-factor/", {}, lambda c: not TOTPDevice.objects.filter(pk=pending_device.pk).exists()
        ),
        "two-factor-setup": Form(
            "/settings/two-factor/setup/",
            {"token": f"{TOTP(pending_device.bin_key).token():06d}"},
            lambda c: TOTPDevice.objects.filter(pk=pending_device.pk, confirmed=True).exists(),
        ),
        "invite-accept": Form(
            f"/invite/{token}/",
            {"username": "csrf-dana", "password1": "a-long-Passphrase-9", "password2": "a-long-Passphrase-9"},
            lambda c: User.objects.filter(username="csrf-dana").exists(),
            user="",
        ),
        "password_reset": Form(
            "/accounts/password_reset/",
            {"email": "alice@acme.example"},
            lambda c: any("password" in m.subject for m in mail.outbox),
            user="",
        ),
        "inbox-read": Form(f"/c/{conversation.pk}/read/", {}, lambda c: conversation_now().unread_count == 0),
        "inbox-unread": Form(f"/c/{conversation.pk}/unread/", {}, lambda c: conversation_now().unread_count >= 1),
        "inbox-status": Form(
            f"/c/{conversation.pk}/status/", {"status": "closed"}, lambda c: conversation_now().status == "closed"
        ),
        "inbox-assign": Form(
            f"/c/{conversation.pk}/assign/", {"assignee": ""}, lambda c: conversation_now().assignee_id is None
        ),
        "inbox-send": Form(
            f"/c/{conversation.pk}/send/",
            {"body": "csrf-probe", "idempotency_key": "csrf-1"},
            lambda c: Message.objects.filter(body="csrf-probe").exists(),
        ),
        "inbox-note": Form(
            f"/c/{conversation.pk}/note/",
            {"note_body": "csrf-probe-note"},
            lambda c: Note.objects.filter(body="csrf-probe-note").exists(),
        ),
        "inbox-snooze": Form(
            f"/c/{conversation.pk}/snooze/", {"preset": "reply"}, lambda c: conversation_now().status == "snoozed"
        ),
        "inbox-unsnooze": Form(f"/c/{conversation.pk}/unsnooze/", {}, lambda c: conversation_now().status == "open"),
        "canned-replies": Form(
            "/canned-replies/",
            {"name": "Probe", "shortcut": "csrf-probe", "body": "csrf-probe-canned"},
            lambda c: CannedReply.objects.filter(shortcut="csrf-probe").exists(),
        ),
        "canned-reply-edit": Form(
            f"/canned-replies/{a.canned_reply.pk}/",
            {"name": "Hours", "shortcut": "hours", "body": "csrf-probe-edited", "shared": "on"},
            lambda c: CannedReply.objects.filter(body="csrf-probe-edited").exists(),
        ),
        "canned-reply-delete": Form(
            f"/canned-replies/{a.canned_reply.pk}/delete/",
            {},
            lambda c: not CannedReply.objects.filter(pk=a.canned_reply.pk).exists(),
        ),
        "failed-retry": Form(
            "/failed/retry/",
            {"message_ids": str(failed.pk)},
            lambda c: Message.objects.filter(retry_of=failed).exists(),
        ),
        "switch-organization": Form(
            "/organization/", {"organization": a.organization.pk}, lambda c: c.session.get("organization_id")
        ),
        "contact-new": Form(
            "/contacts/new/", {"phone": "+14155550155"}, lambda c: Contact.objects.filter(phone="+14155550155").exists()
        ),
        "contact-edit": Form(
            f"/contacts/{contact.pk}/",
            {"first_name": "Renamed", "last_name": "", "phone": str(contact.phone)},
            lambda c: Contact.objects.get(pk=contact.pk).first_name == "Renamed",
        ),
        "contact-message": Form(
            f"/contacts/{a.spare.pk}/message/", {}, lambda c: Conversation.objects.filter(contact=a.spare).exists()
        ),
        "contact-line-type": Form(  # no Twilio here: the lookup fails, and the page says so (the view ran)
            f"/contacts/{contact.pk}/line-type/",
            {},
            lambda c: (
                "Twilio Lookup did not answer" in c.get(f"/contacts/{contact.pk}/").content.decode()
                or "Twilio Lookup: " in c.get(f"/contacts/{contact.pk}/").content.decode()
            ),
        ),
        "contact-merge": Form(
            f"/contacts/{a.spare.pk}/merge/",
            {"into": contact.pk},
            lambda c: (
                not Contact.objects.filter(pk=a.spare.pk).exists() and Contact.objects.filter(pk=contact.pk).exists()
            ),
        ),
        "contact-erase": Form(
            f"/contacts/{a.spare.pk}/erase/",
            {"confirm": "ERASE"},
            lambda c: not Contact.objects.filter(pk=a.spare.pk).exists(),
        ),
        "account-settings": Form(
            "/settings/",
            {"time_zone": "Europe/Berlin", "sound": "on"},
            lambda c: User.objects.get(pk=a.user.pk).time_zone == "Europe/Berlin",
        ),
        "logout": Form(reverse("logout"), {}, lambda c: "_auth_user_id" not in c.session),
        "login": Form(
            reverse("login"),
            {"username": "alice", "password": "pw-alice-1"},
            lambda c: "_auth_user_id" in c.session,
            user="",
        ),
        "admin-contact-add": Form(
            reverse("admin:conversations_contact_add"),
            {"organization": a.organization.pk, "phone": "+14155550156", "first_name": "", "last_name": ""},
            lambda c: Contact.objects.filter(phone="+14155550156").exists(),
        ),
        "admin-contact-delete": Form(
            reverse("admin:conversations_contact_delete", args=[a.spare.pk]),
            {"post": "yes"},
            lambda c: not Contact.objects.filter(pk=a.spare.pk).exists(),
        ),
        "admin-logout": Form(reverse("admin:logout"), {}, lambda c: "_auth_user_id" not in c.session),
        "labels": Form(
            "/labels/",
            {"action": "create", "name": "csrf-probe-label", "color": "red"},
            lambda c: Label.objects.filter(name="csrf-probe-label").exists(),
        ),
        "labels-apply": Form(
            "/labels/apply/",
            {"conversation": conversation.pk, "label": vip().pk, "action": "add"},
            lambda c: conversation_now().labels.filter(pk=vip().pk).exists(),
        ),
        "inbox-labels": Form(
            f"/c/{conversation.pk}/labels/",
            {"label": vip().pk},
            lambda c: conversation_now().labels.filter(pk=vip().pk).exists(),
        ),
        "inbox-contact": Form(
            f"/c/{conversation.pk}/contact/",
            {"first_name": "Csrfprobe", "last_name": "", "notes": "csrf-probe-notes"},
            lambda c: Contact.objects.get(pk=contact.pk).notes == "csrf-probe-notes",
        ),
        "contact-labels": Form(
            f"/contacts/{contact.pk}/labels/",
            {"label": vip().pk},
            lambda c: Contact.objects.get(pk=contact.pk).labels.filter(pk=vip().pk).exists(),
        ),
        "views-create": Form(
            "/views/", {"name": "csrf-probe-view"}, lambda c: SavedView.objects.filter(name="csrf-probe-view").exists()
        ),
        "integrations": Form(
            "/integrations/",
            {
                "form": "endpoint",
                "endpoint-url": "https://csrf-probe.example/in",
                "endpoint-event_types": "contact.updated",
            },
            lambda c: WebhookEndpoint.objects.filter(url="https://csrf-probe.example/in").exists(),
        ),
        "integrations-endpoint-edit": Form(
            f"/integrations/endpoints/{endpoint.pk}/edit/",
            {
                "endpoint-url": endpoint.url,
                "endpoint-description": "csrf-probe",
                "endpoint-event_types": "note.created",
            },
            lambda c: WebhookEndpoint.objects.get(pk=endpoint.pk).description == "csrf-probe",
        ),
        "integrations-endpoint-test": Form(
            f"/integrations/endpoints/{endpoint.pk}/test/",
            {},
            lambda c: WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2,
        ),
        "integrations-endpoint-pause": Form(
            f"/integrations/endpoints/{endpoint.pk}/pause/",
            {},
            lambda c: not WebhookEndpoint.objects.get(pk=endpoint.pk).active,
        ),
        "integrations-endpoint-resume": Form(
            f"/integrations/endpoints/{paused.pk}/resume/",
            {},
            lambda c: WebhookEndpoint.objects.get(pk=paused.pk).active,
        ),
        "integrations-endpoint-delete": Form(
            f"/integrations/endpoints/{endpoint.pk}/delete/",
            {},
            lambda c: not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists(),
        ),
        "integrations-delivery-redeliver": Form(
            f"/integrations/deliveries/{delivery.pk}/redeliver/",
            {},
            lambda c: WebhookDelivery.objects.get(pk=delivery.pk).retry_until != pending_before,
        ),
        "integrations-key-revoke": Form(
            f"/integrations/keys/{key.pk}/revoke/",
            {},
            lambda c: ApiKey.objects.get(pk=key.pk).revoked_at is not None,
        ),
        "views-delete": Form(
            f"/views/{SavedView.objects.get(organization=a.organization).pk}/delete/",
            {},
            lambda c: not SavedView.objects.filter(organization=a.organization).exists(),
        ),
    }


def _team(a: Tenant) -> tuple[Invite, str, Membership]:
    """A pending invitation of A's (with its link's token, read from the email) and an agent of A's."""
    User.objects.filter(pk=a.user.pk).update(email="alice@acme.example")
    invite = invite_create(
        organization=a.organization, actor=a.user, email="csrf-invitee@example.com", role="agent",
        link_base="http://testserver",
    )  # fmt: skip
    token = re.search(r"/invite/([\w-]+)/", mail.outbox[-1].body)[1]
    agent = User.objects.filter(username="csrf-agent").first() or User.objects.create_user("csrf-agent")
    member = Membership.objects.filter(user=agent).first() or membership_create(organization=a.organization, user=agent)
    return invite, token, member


def _integrations(a: Tenant) -> tuple[WebhookEndpoint, WebhookDelivery, ApiKey]:
    """Organization A's endpoint, a delivery of it and an API key: the world's, or made here by the services."""
    endpoint = WebhookEndpoint.objects.filter(organization=a.organization).first() or webhook_endpoint_create(
        organization=a.organization, actor=a.user, url="https://hooks.acme.example/in", event_types=["note.created"]
    )
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first() or webhook_endpoint_send_test(
        endpoint=endpoint, actor=a.user
    )
    key = ApiKey.objects.filter(organization=a.organization).first()
    if key is None:
        key, _ = api_key_create(organization=a.organization, actor=a.user, name="acme-key", scopes=["contacts:read"])
    return endpoint, delivery, key


@pytest.mark.parametrize(
    "form",
    [
        "integrations",
        "integrations-endpoint-edit",
        "integrations-endpoint-test",
        "integrations-endpoint-pause",
        "integrations-endpoint-resume",
        "integrations-endpoint-delete",
        "integrations-delivery-redeliver",
        "integrations-key-revoke",
        "inbox-read",
        "inbox-unread",
        "inbox-status",
        "inbox-assign",
        "inbox-send",
        "inbox-note",
        "inbox-snooze",
        "inbox-unsnooze",
        "canned-replies",
        "canned-reply-edit",
        "canned-reply-delete",
        "failed-retry",
        "switch-organization",
        "contact-new",
        "contact-edit",
        "contact-message",
        "contact-line-type",
        "contact-import-upload",
        "contact-import",
        "team-auto-assign",
        "availability",
        "settings-hours",
        "settings-hours-holiday-add",
        "settings-hours-holiday-remove",
        "settings-hours-quiet",
        "broadcast-new",
        "broadcast-pause",
        "broadcast-resume",
        "broadcast-cancel",
        "account-settings",
        "logout",
        "login",
        "admin-contact-add",
        "admin-contact-delete",
        "admin-logout",
        "labels",
        "labels-apply",
        "inbox-labels",
        "inbox-contact",
        "contact-labels",
        "views-create",
        "views-delete",
        "team",
        "team-invite-resend",
        "team-invite-revoke",
        "team-member-role",
        "team-member-deactivate",
        "security-settings",
        "two-factor",
        "two-factor-setup",
        "invite-accept",
        "password_reset",
    ],
)
def test_a_page_form_is_refused_without_its_csrf_token_and_accepted_with_it(acme, form):
    spec = page_forms(acme)[form]
    user = acme.user if spec.user else None
    before = all_rows(), tenant_snapshot(acme)
    client = csrf_client(user)
    client.get(reverse("login") if user is None else "/contacts/new/")  # a page with a form sets the cookie
    token = client.cookies["csrftoken"].value
    refused = client.post(spec.url, spec.data)
    assert refused.status_code == 403
    assert (all_rows(), tenant_snapshot(acme)) == before
    assert ("_auth_user_id" in client.session) == (user is not None)
    wrong = client.post(spec.url, {**spec.data, "csrfmiddlewaretoken": "x" * 32})
    assert wrong.status_code == 403
    accepted = client.post(spec.url, {**spec.data, "csrfmiddlewaretoken": token})
    assert accepted.status_code in {200, 302}, accepted.content[:300]
    assert spec.done(client), form


POST_IGNORED = {"contacts"}  # the contact list answers a POST like a GET and writes nothing
# The code step and turning two-factor off need a user with an authenticator (a code step for every probe):
# their CSRF refusals are tested in tests/smsinbox/test_two_factor.py.
POST_IGNORED |= {"two-factor-verify", "two-factor-disable"}

# The pages' JSON posts (the settings page's scripts send the token in X-CSRFToken), and how to tell they worked.
PUSH_BODY = {"endpoint": "https://push.example/csrf-probe", "keys": {"p256dh": "BKey", "auth": "secret"}}
JSON_PAGE_POSTS: dict[str, tuple[str, dict[str, Any], Callable[[], bool]]] = {
    "push-subscribe": (
        "/settings/push/subscribe/",
        PUSH_BODY,
        lambda: PushSubscription.objects.filter(endpoint=PUSH_BODY["endpoint"]).exists(),
    ),
    "push-unsubscribe": (
        "/settings/push/unsubscribe/",
        {"endpoint": PUSH_BODY["endpoint"]},
        lambda: not PushSubscription.objects.filter(endpoint=PUSH_BODY["endpoint"]).exists(),
    ),
}


@pytest.mark.parametrize("name", list(JSON_PAGE_POSTS))
def test_a_pages_json_post_is_refused_without_the_csrf_header_and_accepted_with_it(acme, name):
    url, body, done = JSON_PAGE_POSTS[name]
    if name == "push-unsubscribe":
        PushSubscription.objects.create(user=acme.user, endpoint=PUSH_BODY["endpoint"], p256dh="BKey", auth="secret")
    before = all_rows(), tenant_snapshot(acme)
    client = csrf_client(acme.user)
    client.get("/settings/")
    token = client.cookies["csrftoken"].value
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 403
    wrong = client.post(url, json.dumps(body), content_type="application/json", headers={"X-CSRFToken": "x" * 32})
    assert wrong.status_code == 403
    assert (all_rows(), tenant_snapshot(acme)) == before
    accepted = client.post(url, json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})
    assert accepted.status_code in {200, 201}, accepted.content[:300]
    assert done()


def test_every_page_that_takes_a_post_has_a_csrf_form_probe(world):
    """Meta: a page route that accepts a POST (not 405) must be in the with-token/without-token table above."""
    probed = set(page_forms(world.a)) | set(JSON_PAGE_POSTS)
    missing = []
    for route in ROUTES:
        if route.key not in PAGES | {"login", "logout"} or route.key in POST_IGNORED:
            continue
        client = Client()
        client.force_login(world.a.user)
        with transaction.atomic():
            accepts = client.post(url_for(route, world), {}).status_code != 405
            transaction.set_rollback(True)
        if accepts and route.key not in probed:
            missing.append(route.key)
    assert missing == []


def api_write_operations(a: Tenant) -> dict[str, tuple[str, str, Any, int]]:
    """Every write of the API (from the isolation table, so a new one is covered), with A's ids."""
    writes = {}
    for name, (build, expected) in API_OPERATIONS.items():
        method, path, body = build(a)
        if method != "GET":
            writes[name] = (method, path, body, expected)
    return writes


@pytest.mark.parametrize("operation", [name for name in API_OPERATIONS if not name.endswith(("_list", "_retrieve"))])
def test_session_api_writes_need_the_csrf_header_and_token_writes_do_not(acme, operation):
    method, path, body, expected = api_write_operations(acme)[operation]
    data = json.dumps(body) if body is not None else ""
    before = all_rows(), tenant_snapshot(acme)
    browser = csrf_client(acme.user)
    secret = "s" * 32
    browser.cookies["csrftoken"] = secret
    for headers in ({}, {"X-CSRFToken": "t" * 32}, {"X-CSRFToken": secret, "Origin": "https://evil.example"}):
        refused = browser.generic(method, path, data, content_type="application/json", headers=headers)
        assert refused.status_code == 403, (headers, refused.content)
        assert "CSRF" in refused.json()["error"]
        assert (all_rows(), tenant_snapshot(acme)) == before
    with transaction.atomic():
        accepted = browser.generic(method, path, data, content_type="application/json", headers={"X-CSRFToken": secret})
        assert accepted.status_code == expected, accepted.content
        transaction.set_rollback(True)
    token, _ = Token.objects.get_or_create(user=acme.user)
    integrator = Client(enforce_csrf_checks=True, headers={"Authorization": f"Token {token.key}"})
    response = integrator.generic(method, path, data, content_type="application/json")
    assert response.status_code == expected, response.content


def test_the_write_table_covers_every_write_of_the_schema(db):
    schema = Client().get("/api/schema/?format=json").json()
    writes = {
        operation["operationId"]
        for methods in schema["paths"].values()
        for method, operation in methods.items()
        if method != "get"
    }
    assert writes == {name for name in API_OPERATIONS if not name.endswith(("_list", "_retrieve"))}
