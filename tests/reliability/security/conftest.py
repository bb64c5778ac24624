"""The probes' world: organization A with data everywhere, organization B's admin as the stranger."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.admin import TokenProxy
from rest_framework.authtoken.models import Token

from conversations.canned_services import canned_reply_create
from conversations.import_jobs import contact_import_create
from conversations.labels import label_create, saved_view_create
from conversations.models import CannedReply, Contact, ContactImport, Conversation, Label, Note
from conversations.services import contact_update, note_create
from messaging.attachments.models import Attachment
from messaging.attachments.services import attachment_upload
from messaging.broadcasts.services import broadcast_create, broadcast_pause
from messaging.hours.models import Holiday
from messaging.hours.services import holiday_add
from messaging.models import Message, MessageEvent, MessageMedia
from messaging.services.outbound import message_send
from smsinbox.audit.models import AuditEntry
from smsinbox.integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint
from smsinbox.integrations.services import api_key_create, webhook_endpoint_create, webhook_endpoint_send_test
from smsinbox.models import Membership, Organization, PhoneNumber, User
from smsinbox.services import ORG_ADMINS_GROUP
from smsinbox.team.models import Invite
from smsinbox.team.services import invite_create
from tests.api_client import Tenant, build_tenant
from tests.reliability.security.world import ORG_A_NUMBER, World
from tests.twilio_posts import post_inbound


@pytest.fixture
def acme(org_a) -> Tenant:
    """Organization A's data: a thread with an MMS in and a reply out, a spare contact, names to spot."""
    twilio = Client()
    a = build_tenant(org_a, twilio, contact_phone="+14155550163", spare_phone="+14155550164")
    contact_update(contact=a.contact, first_name="Zelda", last_name="Quixote")
    contact_update(contact=a.spare, first_name="Yolanda", last_name="Xenakis")
    assert post_inbound(twilio, to=ORG_A_NUMBER, from_="+14155550163", body="acme-secret-body").status_code == 200
    note_create(conversation=a.conversation, author=a.user, body="acme-secret-note @alice")
    vip = label_create(organization=a.organization, name="VIP", color="purple")  # the isolation table's names
    label_create(organization=a.organization, name="Spare")
    saved_view_create(organization=a.organization, owner=a.user, name="acme-secret-view", label_id=vip.pk)
    a.canned_reply = canned_reply_create(
        organization=a.organization,
        actor=a.user,
        name="Hours",
        shortcut="hours",
        body="acme-secret-canned",
        shared=True,
    )
    a.scheduled = scheduled_message(a)
    for name in ("broadcast", "paused_broadcast"):  # waiting for their time: nothing enqueued
        made = broadcast_create(
            organization=a.organization, user=a.user, body="acme-secret-broadcast", contact_ids=[a.spare.pk],
            send_at=timezone.now() + timedelta(days=1),
        )  # fmt: skip
        setattr(a, name, made)
    broadcast_pause(broadcast=a.paused_broadcast, user=a.user)
    return a


def scheduled_message(tenant: Tenant) -> Message:
    """A message waiting for its time (nothing enqueued): PATCH and DELETE /api/messages/{id}/ take it."""
    return message_send(
        organization=tenant.organization, sender=tenant.user, contact=tenant.contact, body="Reminder",
        send_at=timezone.now() + timedelta(days=1),
    ).message  # fmt: skip


@pytest.fixture
def world(acme, org_b) -> World:
    a = acme
    (a_task,) = DBTaskResult.objects.all()  # the delivery of organization A's reply
    b = build_tenant(org_b, Client(), contact_phone="+12125550177", spare_phone="+12125550178")
    b.scheduled = scheduled_message(b)
    endpoint = webhook_endpoint_create(
        organization=a.organization, actor=a.user, url="https://hooks.acme.example/in", event_types=["note.created"]
    )
    delivery = webhook_endpoint_send_test(endpoint=endpoint, actor=a.user)
    api_key, _ = api_key_create(organization=a.organization, actor=a.user, name="acme-key", scopes=["contacts:read"])
    token = Token.objects.create(user=a.user)
    invite = invite_create(
        organization=a.organization, actor=a.user, email="acme-invitee@example.com", role="agent",
        link_base="http://testserver",
    )  # fmt: skip
    contact_import = contact_import_create(
        organization=a.organization, actor=a.user, file_name="acme-secret-import.csv",
        data=b"phone,name\n+14155550199,Quincy Import\n",
    )  # fmt: skip
    holiday = holiday_add(organization=a.organization, actor=a.user, date=date(2030, 12, 25), name="acme-holiday")
    attachment = attachment_upload(
        organization=a.organization, user=a.user, conversation=a.conversation,
        upload=SimpleUploadedFile("acme-secret-attachment.png", b"acme-secret-attachment", content_type="image/png"),
    )  # fmt: skip
    browser = Client()  # django-axes' rows of alice: a failed and a successful login through the real form
    assert browser.post(reverse("login"), {"username": "alice", "password": "pw-alice-1"}).status_code == 302
    Client().post(reverse("login"), {"username": "alice", "password": "wrong"})  # after: a success resets it
    failure = AccessFailureLog.objects.filter(username="alice").first() or AccessFailureLog.objects.create(
        username="alice", ip_address="127.0.0.1", user_agent="probe", http_accept="*/*", path_info="/accounts/login/"
    )
    objects = {
        model._meta.label_lower: obj
        for model, obj in [
            (Group, Group.objects.get(name=ORG_ADMINS_GROUP)),  # shared, superusers only
            (TokenProxy, TokenProxy.objects.get(pk=token.pk)),
            (DBTaskResult, a_task),
            (AccessAttempt, AccessAttempt.objects.get(username="alice")),
            (AccessLog, AccessLog.objects.filter(username="alice").first()),
            (AccessFailureLog, failure),
            (User, a.user),
            (Organization, a.organization),
            (Membership, Membership.objects.get(user=a.user, organization=a.organization)),
            (PhoneNumber, a.organization.phone_numbers.get()),
            (Contact, a.contact),
            (Conversation, a.conversation),
            (Message, a.inbound),
            (MessageMedia, a.inbound.media.get()),
            (MessageEvent, a.inbound.events.first()),
            (Note, Note.objects.get(conversation=a.conversation)),
            (Label, Label.objects.get(organization=a.organization, name="VIP")),
            (CannedReply, a.canned_reply),
            (WebhookEndpoint, endpoint),
            (WebhookDelivery, delivery),
            (ApiKey, api_key),
            (Invite, invite),  # not in Django admin: the team routes' ids
            (ContactImport, contact_import),  # not in Django admin: the import pages' ids
            (Holiday, holiday),  # not in Django admin (read only on the organization's page): the route's id
            (Attachment, attachment),  # not in Django admin: the preview route's id
            (AuditEntry, AuditEntry.objects.filter(organization=a.organization).first()),  # read only
        ]
    }
    assert all(objects.values())
    markers = ["Acme Dental", "Zelda", "Quixote", "Yolanda", "Xenakis", "acme-secret-body", "acme-secret-note", "alice"]
    markers += ["acme-secret-view", "acme-secret-canned", "hooks.acme.example", "acme-key", endpoint.secret]
    markers += ["acme-secret-broadcast"]
    markers += ["4155550001", "(415) 555-0001", "4155550163", "(415) 555-0163", "4155550164", "(415) 555-0164"]
    markers += [a.inbound.twilio_sid, a.outbound.twilio_sid, token.key, "acme-invitee", "acme-secret-import"]
    markers += ["acme-holiday", "acme-secret-attachment"]
    return World(a=a, b=b, token=token, markers=markers, objects=objects)
