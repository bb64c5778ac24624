"""What every probe shares: two organizations' worth of real data (``World``, built by the fixtures in
``conftest.py``), snapshots that tell whether anything changed, and the check for leaked text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.models import Token

from conversations.models import (
    CannedReply,
    Contact,
    ContactImport,
    ContactLabel,
    Conversation,
    ConversationLabel,
    Label,
    Note,
    SavedView,
)
from messaging.hours.models import AutoReplySettings, Holiday, OpeningInterval
from messaging.models import Message, MessageEvent, MessageMedia
from smsinbox.models import Membership, Organization, PhoneNumber, User
from smsinbox.team.models import Invite
from tests.api_client import Tenant

ORG_A_NUMBER = "+14155550001"
INCOMING = "/api/twilio/sms-incoming"
STATUS = "/api/twilio/sms-status"


@dataclass
class World:
    """Organization A (alice) with data everywhere, organization B (bob, an admin of B) as the stranger."""

    a: Tenant
    b: Tenant
    token: Token  # alice's API token
    markers: list[str]  # text only organization A's pages may show
    objects: dict[str, Any] = field(default_factory=dict)  # admin model label -> an object of organization A

    def admin_object(self, model: type) -> Any:
        return self.objects[model._meta.label_lower]


def tenant_snapshot(tenant: Tenant) -> tuple:
    """Everything a request could change in the tenant's organization, its staff and their credentials."""
    organization = tenant.organization
    members = User.objects.filter(memberships__organization=organization).order_by("pk")
    return (
        Organization.objects.filter(pk=organization.pk).values_list("name").get(),
        list(PhoneNumber.objects.filter(organization=organization).order_by("pk").values_list("pk", "number")),
        list(Membership.objects.filter(organization=organization).order_by("pk").values_list("user_id", "role")),
        list(members.values_list("pk", "username", "is_active", "is_staff", "is_superuser", "password")),
        sorted(Token.objects.filter(user__in=members).values_list("key", flat=True)),
        list(
            Contact.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "phone", "first_name", "last_name", "opted_out_at")
        ),
        list(
            Conversation.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "status", "assignee_id", "unread_count")
        ),
        list(Message.objects.filter(organization=organization).order_by("pk").values_list("pk", "status", "body")),
        MessageMedia.objects.filter(message__organization=organization).count(),
        MessageEvent.objects.filter(message__organization=organization).count(),
        list(Note.objects.filter(organization=organization).order_by("pk").values_list("pk", "body")),
        list(Label.objects.filter(organization=organization).order_by("pk").values_list("pk", "name", "color")),
        sorted(ConversationLabel.objects.filter(label__organization=organization).values_list("pk", "label_id")),
        sorted(ContactLabel.objects.filter(label__organization=organization).values_list("pk", "label_id")),
        list(SavedView.objects.filter(organization=organization).order_by("pk").values_list("pk", "name")),
        list(
            CannedReply.objects.filter(organization=organization).order_by("pk").values_list("pk", "shortcut", "body")
        ),
        list(
            Invite.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "email", "role", "token_hash", "expires_at", "accepted_at", "revoked_at")
        ),
        list(
            ContactImport.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "status", "mapping", "processed_rows")
        ),
        Organization.objects.filter(pk=organization.pk).values_list("time_zone").get(),
        list(Holiday.objects.filter(organization=organization).order_by("pk").values_list("pk", "date", "name")),
        list(OpeningInterval.objects.filter(organization=organization).values_list("weekday", "opens", "closes")),
        list(
            AutoReplySettings.objects.filter(organization=organization).values_list(
                "auto_reply_text", "help_reply_text"
            )
        ),
    )


def all_rows() -> dict[str, int]:
    models = (Organization, Membership, PhoneNumber, User, Token, Contact, Conversation, Message, MessageMedia, Note)
    models += (Label, ConversationLabel, ContactLabel, SavedView, CannedReply, Invite, ContactImport)
    models += (Holiday, OpeningInterval)
    return {model.__name__: model.objects.count() for model in (*models, MessageEvent, DBTaskResult)}


def leaked(response, markers: list[str]) -> list[str]:
    """Organization A's text in a response (any body: HTML, JSON, a CSV download, a redirect's Location)."""
    if response.streaming:  # a download: read once, kept for a second look
        response._leak_body = getattr(response, "_leak_body", None) or b"".join(response.streaming_content)
    body = response._leak_body if response.streaming else response.content
    text = body.decode("utf-8", "replace") + response.get("Location", "")
    return [marker for marker in markers if marker in text]


def csrf_client(user: User | None = None) -> Client:
    """A client that enforces CSRF as a browser meets it, signed in as ``user`` (if any)."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client
