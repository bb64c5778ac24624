"""Every URL pattern of the project, walked recursively and classified, and how to fill and call each.

A pattern the tables do not classify fails ``test_every_url_pattern_is_classified_…`` (test_url_walk.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conversations.models import Contact, Label, SavedView
from tests.reliability.security.world import World


@dataclass(frozen=True)
class Route:
    key: str  # the URL's name, or its pattern when it has none
    pattern: str
    name: str | None
    params: tuple[str, ...]


def all_routes() -> list[Route]:
    """Every URL pattern of the project, walked recursively through every include."""

    def walk(resolver: URLResolver, prefix: str, namespace: str, params: tuple[str, ...]) -> Iterator[Route]:
        for entry in resolver.url_patterns:
            here = (*params, *entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, prefix + str(entry.pattern), inner, here)
            else:
                assert isinstance(entry, URLPattern)
                name = f"{namespace}{entry.name}" if entry.name else None
                pattern = prefix + str(entry.pattern)
                yield Route(key=name or pattern, pattern=pattern, name=name, params=here)

    return list(walk(get_resolver(), "", "", ()))


ROUTES = all_routes()
WEBHOOKS = {"twilio:sms-incoming", "twilio:sms-status"}  # signed by Twilio: test_forged_and_replayed_webhooks_…
PUBLIC = {  # open to anyone by design; still never a 5xx, never organization A's data
    "login",
    "logout",
    "api-schema",
    "api-docs",
    "favicon",  # a redirect to our static SVG icon
    "healthz",  # "ok": the process is up (smsinbox.web.ops), nothing else
    "readyz",  # "ready"/"not ready", no detail (smsinbox.web.ops)
    "metrics",  # a 404 without METRICS_TOKEN or an allowed address (smsinbox.web.ops)
    "session-state",  # {"signedIn": …, "expiresIn": …} about the caller's own session, nothing else
    "invite-accept",  # an invitation's link: the token is the key (probed here with one that names none)
    "password_reset",  # Django's forgotten-password views: never say whether an address has an account
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "manifest",  # the web app manifest: names, colours, our icons
    "service-worker",  # /sw.js: the static worker script, served from the root for its scope
    "attachment-public",  # /m/<token>/<name>: what Twilio fetches; the token is the key (probed with none's)
    "api/",  # any other /api/ path: a JSON 404
    "admin:login",
    "admin:logout",
    "admin:view_on_site",  # contenttypes' redirect helper: none of our models has a URL of its own (404)
}
PAGES = {
    "home",
    "inbox-thread",
    "inbox-older",
    "inbox-read",
    "inbox-unread",
    "inbox-status",
    "inbox-assign",
    "inbox-snooze",
    "inbox-unsnooze",
    "inbox-send",
    "inbox-note",
    "inbox-contact",  # the thread's contact panel (pages/profile.py)
    "inbox-transcript",
    "inbox-sync",
    "canned-replies",
    "canned-reply-edit",
    "canned-reply-delete",
    "switch-organization",
    "contacts",
    "contact-new",
    "contact-edit",
    "contact-message",
    "contact-line-type",  # asks Twilio Lookup (a 404 for another organization's contact, before any request)
    "contact-merge",
    "contact-erase",
    "contacts-export",
    "contact-import-upload",  # every member imports (agents manage contacts); ids found among the organization's
    "contact-import",
    "contact-import-status",
    "contact-import-errors",
    "message-media",
    "attachment-upload",  # the composer's upload into a conversation of the member's organization
    "attachment-preview",  # an upload's file, found among the member's organizations
    "inbox-labels",
    "labels",
    "labels-apply",
    "labels-palette",
    "contact-labels",
    "views-create",
    "views-counts",
    "views-delete",
    "account-settings",  # the user's own settings: nothing of an organization
    "push-subscribe",
    "push-unsubscribe",
    "failed",
    "failed-retry",
    "reports",  # admins, and agents when the organization allows (test_roles.py)
    "report-csv",
    "integrations",  # admins only; each action finds its row among the admin's organizations
    "integrations-endpoint-test",
    "integrations-endpoint-edit",
    "integrations-endpoint-pause",
    "integrations-endpoint-resume",
    "integrations-endpoint-delete",
    "integrations-delivery-redeliver",
    "integrations-key-revoke",
    "team",  # admins only (agents: tests/reliability/security/test_roles.py); rows found among the admin's
    "team-invite-resend",
    "team-invite-revoke",
    "team-member-role",
    "team-member-deactivate",
    "team-auto-assign",
    "availability",  # the user's own Available/Away in their current organization
    "settings-hours",  # admins only (test_roles.py); the holiday is found among the admin's organization's
    "settings-hours-holiday-add",
    "settings-hours-holiday-remove",
    "settings-hours-quiet",  # admins only (test_roles.py): the admin's organization's quiet hours
    "broadcasts",  # admins only (test_roles.py); a broadcast is found among the current organization's
    "broadcast-new",
    "broadcast-detail",
    "broadcast-pause",
    "broadcast-resume",
    "broadcast-cancel",
    "broadcast-export",
    "audit",  # admins only, the admin's organization's entries (tests/web/pages/test_audit.py)
    "audit-export",
    "security-settings",  # admins only: the organization's sign-in rules
    "two-factor",  # the user's own two-factor sign-in: nothing of an organization
    "two-factor-setup",
    "two-factor-disable",
    "two-factor-verify",  # the code step: signed in by password, no code yet (smsinbox.two_factor)
}
API = {
    "api-sms-send",
    "api-contacts",
    "api-contact",
    "api-contact-merge",
    "api-contact-erase",
    "api-conversations",
    "api-conversation",
    "api-conversation-read",
    "api-conversation-messages",
    "api-conversation-notes",
    "api-conversation-snooze",
    "api-message",
    "api-labels",
    "api-label",
    "api-views",
    "api-view",
    "api-canned-replies",
    "api-canned-reply",
    "api-messages-retry",
    "api-messages-failed",
    "api-reports-summary",
    "api-reports-timeseries",
    "api-broadcasts",
    "api-broadcast",
    "api-broadcast-pause",
    "api-broadcast-resume",
    "api-broadcast-cancel",
}
ADMIN_SITE = {  # the admin site's own routes; each registered model's routes are found through admin.site
    "admin:index",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:app_list",
    "admin:auth_user_password_change",
    "admin/(?P<url>.*)$",  # the admin's catch-all
}
ADMIN_ACTIONS = ("changelist", "add", "history", "delete", "change")
FOREIGN_ID_PARAMS = {"conversation_id", "contact_id", "message_id", "reply_id", "pk", "object_id", "id", "view_id"}
FOREIGN_ID_PARAMS |= {"endpoint_id", "delivery_id", "key_id"}  # integrations
FOREIGN_ID_PARAMS |= {"invite_id", "member_id"}  # the team
FOREIGN_ID_PARAMS |= {"import_id"}  # contact imports
FOREIGN_ID_PARAMS |= {"holiday_id"}  # business hours
FOREIGN_ID_PARAMS |= {"broadcast_id"}  # broadcasts
FOREIGN_ID_PARAMS |= {"attachment_id"}  # attachments
METHODS = {
    "page": ("GET", "POST", "PUT", "PATCH", "DELETE"),
    "api": ("GET", "POST", "PUT", "PATCH", "DELETE"),
    "admin": ("GET", "POST"),
    "public": ("GET", "POST"),
}


def admin_model(route: Route) -> type | None:
    """The registered model an admin route belongs to (by name, or by path for the unnamed redirects)."""
    for model in admin.site._registry:
        opts = model._meta
        if route.name and any(route.name == f"admin:{opts.app_label}_{opts.model_name}_{a}" for a in ADMIN_ACTIONS):
            return model
        if route.name is None and route.pattern == f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/":
            return model
    return None


def kind(route: Route) -> str | None:
    """How a route is probed: page, api, admin, public or webhook; ``None`` when nobody classified it."""
    for name, table in (("webhook", WEBHOOKS), ("public", PUBLIC), ("page", PAGES), ("api", API)):
        if route.key in table:
            return name
    if route.key in ADMIN_SITE or admin_model(route) is not None:
        return "admin"
    return None


def url_for(route: Route, world: World) -> str:
    """The route's URL with organization A's ids in its path (``KeyError`` when a parameter is unknown)."""
    a = world.a
    api_pk = {
        "api-contact": a.contact.pk,
        "api-contact-merge": a.contact.pk,
        "api-contact-erase": a.contact.pk,
        "api-conversation": a.conversation.pk,
        "api-conversation-read": a.conversation.pk,
        "api-conversation-messages": a.conversation.pk,
        "api-conversation-notes": a.conversation.pk,
        "api-conversation-snooze": a.conversation.pk,
        "api-message": a.inbound.pk,
        "api-label": Label.objects.filter(organization=a.organization).order_by("pk").first().pk,
        "api-view": SavedView.objects.filter(organization=a.organization).order_by("pk").first().pk,
        "api-canned-reply": a.canned_reply.pk,
        **dict.fromkeys(("api-broadcast", "api-broadcast-pause", "api-broadcast-cancel"), a.broadcast.pk),
        "api-broadcast-resume": a.paused_broadcast.pk,
    }
    values: dict[str, Any] = {}
    for param in route.params:
        if param == "pk":
            values[param] = api_pk[route.key]
        elif param == "object_id":
            model = Contact if route.key == "admin:view_on_site" else admin_model(route)
            values[param] = world.admin_object(model).pk
        else:
            values[param] = {
                "conversation_id": a.conversation.pk,
                "contact_id": a.contact.pk,
                "message_id": a.inbound.pk,
                "view_id": SavedView.objects.filter(organization=a.organization).order_by("pk").first().pk,
                "reply_id": a.canned_reply.pk,
                "position": 0,
                "chart": "volume",
                "content_type_id": ContentType.objects.get_for_model(Contact).pk,
                "id": a.user.pk,
                "app_label": "conversations",
                "url": "no-such-page/",
                "endpoint_id": world.objects["smsinbox.webhookendpoint"].pk,
                "delivery_id": world.objects["smsinbox.webhookdelivery"].pk,
                "key_id": world.objects["smsinbox.apikey"].pk,
                "invite_id": world.objects["smsinbox.invite"].pk,
                "member_id": world.objects["smsinbox.membership"].pk,
                "import_id": world.objects["conversations.contactimport"].pk,
                "holiday_id": world.objects["messaging.holiday"].pk,
                "broadcast_id": (a.paused_broadcast if route.key == "broadcast-resume" else a.broadcast).pk,
                "attachment_id": world.objects["messaging.attachment"].pk,
                "name": "acme.png",
                "token": "no-such-invitation",
                "uidb64": "MQ",
                "token_reset": "set-password",
            }["token_reset" if param == "token" and route.key == "password_reset_confirm" else param]
    if route.key == "admin/(?P<url>.*)$":
        return f"/admin/{values['url']}"
    if route.key == "api/":
        return "/api/no-such-route/"
    if route.name:
        return reverse(route.name, kwargs=values)
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match[1]]), route.pattern)


def names_a_foreign_object(route: Route) -> bool:
    return bool(FOREIGN_ID_PARAMS.intersection(route.params))


def form_data(world: World) -> dict[str, Any]:
    """A form post that would write to organization A if a route forgot to check who asks."""
    a, b = world.a, world.b
    return {
        "status": "closed",
        "assignee": "me",
        "body": "probe",
        "note_body": "probe",
        "preset": "tomorrow",
        "shortcut": "probe",
        "shared": "on",
        "organization": a.organization.pk,
        "user": b.user.pk,
        "role": "admin",
        "phone": "+14155550199",
        "number": "+14155550188",
        "name": "Hijacked",
        "first_name": "Probe",
        "last_name": "Probe",
        "contact": a.contact.pk,
        "conversation": a.conversation.pk,
        "post": "yes",  # confirms an admin deletion
        "username": "probe-user",  # the login forms echo the username typed
        "password": "wrong",
    }


def json_data(world: World) -> dict[str, Any]:
    a, b = world.a, world.b
    return {
        "message": "probe",
        "body": "probe",
        "contactId": a.contact.pk,
        "organizationId": a.organization.pk,
        "firstName": "Probe",
        "phone": "+14155550199",
        "status": "closed",
        "assigneeId": b.user.pk,
        "untilReply": True,
        "name": "probe",
        "shortcut": "probe",
        "shared": True,
    }


def foreign_query(world: World) -> str:
    """Organization A named in the query string as well: lists, filters, the sync and admin filters."""
    a = world.a
    return urlencode(
        {
            "organizationId": a.organization.pk,
            "organization": a.organization.pk,
            "conversation": a.conversation.pk,
            "since": "2000-01-01T00:00:00+00:00",
            "q": "Quix",  # finds organization A's contact Quixote (a page echoes what was searched)
            "organization__id__exact": a.organization.pk,
        }
    )


def send(client: Client, method: str, url: str, route_kind: str, world: World, *, follow: bool = False):
    if method == "GET":
        return client.get(url, follow=follow)
    if route_kind == "api":
        body = json.dumps(json_data(world))
        return client.generic(method, url, body, content_type="application/json", follow=follow)
    if method == "POST":
        return client.post(url, form_data(world), follow=follow)
    return client.generic(method, url, urlencode(form_data(world)), "application/x-www-form-urlencoded", follow=follow)
