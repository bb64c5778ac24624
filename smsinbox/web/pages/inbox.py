"""The inbox: conversation list on the left, the selected thread on the right, live over websockets.

Every view checks membership through selectors; every change goes through one service.
Forms work without JavaScript; ``static/js/inbox.js`` and its modules enhance them (live updates,
sending without reload, "load older"). What the scripts need to know, they are told by the page
(``inbox_config``, rendered as JSON): statuses, limits, event names, URLs; and they clone the rows
and bubbles the server renders (``<template>``s of the same partials).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from conversations.activity import activity_payload
from conversations.models import CONTACT_NOTES_MAX_LENGTH, Conversation
from conversations.payloads import conversation_payload, note_payload, opt_out_reason
from conversations.selectors import (
    SEARCH_MAX_LENGTH,
    activity_list,
    contact_profile,
    conversation_get_for_user,
    conversation_page,
    label_list,
    note_list,
)
from conversations.services import (
    conversation_assign,
    conversation_mark_read,
    conversation_mark_unread,
    conversation_set_status,
)
from conversations.snooze import SNOOZE_PRESETS, snooze_preset_until
from messaging.attachments import rules as attachment_rules
from messaging.models import AUDIO, FILE, IMAGE, Message
from messaging.payloads import message_payload
from messaging.segments import MAX_BODY_CHARACTERS, segment_rules
from messaging.selectors import conversation_list, conversations_changed_since, thread_page, with_messages
from messaging.services.guard import ASSIGNED_TO_OTHER, CONVERSATION_CHANGED, ConversationChanged
from messaging.services.outbound import MAX_MEDIA, message_send
from messaging.services.schedule import send_later_menu
from messaging.statuses import FAILURE_STATUSES, STATUS_RANK, MessageStatus
from smsinbox import events, presence, session_limits
from smsinbox.casing import camelize
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization
from smsinbox.parsing import ascii_int
from smsinbox.tenancy import SESSION_KEY, current_organization, organizations_for_user
from smsinbox.web.consumers import FORBIDDEN, UNAUTHENTICATED
from smsinbox.web.pages import NUL_IN_SEARCH, found_or_404, posted_moment
from smsinbox.web.pages.account import notifications_config
from smsinbox.web.pages.canned import canned_config
from smsinbox.web.pages.labels import labels_config, list_extras, sidebar_context
from smsinbox.web.pages.notes import mention_members, note_template_data, notes_config

# The session key of a draft the no-JavaScript form had refused, per conversation (``send``).
NOJS_DRAFT = "inbox-draft-{}"

# The list's filter tabs, as arguments of ``conversation_list``.
LIST_FILTERS: dict[str, dict[str, object]] = {
    "all": {},
    "unread": {"unread": True},
    "open": {"status": "open"},
    "closed": {"status": "closed"},
    "snoozed": {"status": "snoozed"},  # put away until a time or a reply (conversations.snooze)
    "mine": {"assigned": "me"},
    "unassigned": {"assigned": "unassigned"},
    "failed": {"failed": True},  # the last message sent failed or was undelivered
    "mentions": {"mentioned": True},  # a note mentions me (each row links to the newest such note)
}

# What an empty list says under each filter: what the filter shows, not "No conversations yet".
EMPTY_LIST = {
    "all": "No conversations yet.",
    "unread": "No unread conversations.",
    "open": "No open conversations.",
    "closed": "No closed conversations.",
    "snoozed": "No snoozed conversations.",
    "mine": "No conversations assigned to you.",
    "unassigned": "No unassigned conversations.",
    "failed": "No conversations whose last text failed.",
    "mentions": "No notes mention you.",
}


# How the page keeps its live connection (``static/js/live.js``).
LIVE_CONNECTION = {
    "ping_ms": 25_000,  # a keep-alive ping; the consumer re-checks the user's access at each one
    # After a close, wait 0.5 s, doubling at each failed attempt, never more than 4 s (jitter included):
    # after an outage every inbox tries again within 4 s of the server serving again, and connecting and
    # resyncing take well under a second, so every inbox is live and resynced within 5 s (make chaos).
    "reconnect_base_ms": 500,
    "reconnect_max_ms": 4_000,
    "reconnect_jitter": 0.25,  # each wait is shortened by up to 25 %, so inboxes do not come back in one wave
    "resync_margin_ms": 5_000,  # the next resync starts this long before the last one's "now" (commits in flight)
    "signed_out_code": UNAUTHENTICATED,  # the consumer closed for a lost session: stop and say so
    "forbidden_code": FORBIDDEN,  # … or for an organization the user no longer belongs to: the same
}
TIMES_REFRESH_MS = 30_000  # relative times ("5 minutes ago") are rewritten this often

_ID_MARK = 918_273_645  # stands for the id in a URL pattern handed to the page


def _url_pattern(name: str) -> str:
    """The URL of route ``name`` with ``{id}`` where its one id goes, for the page to fill in."""
    return reverse(name, args=[_ID_MARK]).replace(str(_ID_MARK), "{id}")


def session_config(request: HttpRequest) -> dict[str, Any]:
    """How long this session has left (``smsinbox.session_limits``), for the idle warning (``static/js/idle.js``)."""
    left, renewable = session_limits.remaining(
        request.session, session_limits.limits_for_user(request.user.pk), session_limits.clock()
    )
    return {"expires_in": None if left is None else round(left), "renewable": renewable}


def inbox_config(
    request: HttpRequest,
    *,
    organization: Organization,
    conversation: Conversation | None,
    active_filter: str,
    q: str,
    list_query: str,
    now: str,
) -> dict[str, Any]:
    """Everything the inbox's scripts know, in camelCase: rendered as the JSON of ``#inbox-config``.

    The scripts keep no copy of a server rule: statuses (rank and label, ``messaging.statuses``),
    limits and segment rules (``messaging.segments``, the send service), event names
    (``smsinbox.events``) and every URL they call come from here.
    """
    urls = {
        "sync": reverse("inbox-sync"),
        "home": reverse("home"),
        "login": reverse("login"),
        "session": reverse("session-state"),
        "socket": reverse("inbox-socket", urlconf="smsinbox.web.routing") + f"?organization={organization.pk}",
        "thread": _url_pattern("inbox-thread") + (f"?{list_query}" if list_query else ""),
        "mark_unread_pattern": _url_pattern("inbox-unread"),
        "service_worker": reverse("service-worker"),
    }
    if conversation is not None:
        urls |= {
            "mark_read": reverse("inbox-read", args=[conversation.pk]),
            "mark_unread": reverse("inbox-unread", args=[conversation.pk]),
            "status": reverse("inbox-status", args=[conversation.pk]),
            "assign": reverse("inbox-assign", args=[conversation.pk]),
            "snooze": reverse("inbox-snooze", args=[conversation.pk]),
            "unsnooze": reverse("inbox-unsnooze", args=[conversation.pk]),
            "older": reverse("inbox-older", args=[conversation.pk]),
            "send": reverse("api-conversation-messages", args=[conversation.pk]),
            "message": reverse("api-message", args=[0]),  # a scheduled message's edit and cancel (0: its id)
            "attachments": reverse("attachment-upload", args=[conversation.pk]),
        }
    notes = notes_config(conversation.pk if conversation else None)
    canned = canned_config(conversation.pk if conversation else None)
    return camelize(
        {
            "organization": organization.pk,
            "conversation": conversation.pk if conversation else None,
            "user": request.user.pk,
            "filter": active_filter,
            "q": q,
            "time_zone": timezone.get_current_timezone_name(),
            "now": now,  # server time, from which the page resyncs (the browser's clock may be wrong)
            "statuses": [
                {"value": s.value, "label": s.label, "rank": STATUS_RANK[s], "failed": s in FAILURE_STATUSES}
                for s in MessageStatus
            ],
            "limits": {
                "body": MAX_BODY_CHARACTERS,
                "media": MAX_MEDIA,
                "attachment_bytes": attachment_rules.MAX_TOTAL_BYTES,
                **notes["limits"],
            },
            "attachment_types": sorted(attachment_rules.ACCEPTED_TYPES),
            "image_types": sorted(attachment_rules.IMAGE_TYPES),
            # the codes of the send's refusals the composer answers with its guard notice
            "refusals": {"conversation_changed": CONVERSATION_CHANGED, "assigned_to_other": ASSIGNED_TO_OTHER},
            "segments": segment_rules(),
            "events": events.event_names(),
            "urls": urls | notes["urls"] | canned["urls"],
            "canned": canned["canned"],
            "members": mention_members(organization) if conversation is not None else [],
            "live": LIVE_CONNECTION,
            "presence": presence.client_config(),
            "times_refresh_ms": TIMES_REFRESH_MS,
            "notifications": notifications_config(request.user),
            "session": session_config(request),
        }
    )


def snooze_menu(now: datetime) -> list[dict[str, Any]]:
    """The thread's "Snooze" menu: each preset with the moment it means now, in the viewer's zone (shown beside
    it; the server computes it again when it is chosen, ``smsinbox.web.pages.snooze``)."""
    zone = timezone.get_current_timezone()
    return [
        {"value": value, "label": label, "until": snooze_preset_until(preset=value, now=now, zone=zone)}
        for value, label in SNOOZE_PRESETS
    ]


def _template_data() -> dict[str, SimpleNamespace]:
    """What the partials are rendered with inside the page's ``<template>``s: a row and a bubble with
    every optional part present, and ``{token}`` (a camelCase payload key) wherever the page writes
    a payload's text (``static/js/templates.js``). Ids, URLs and times are set by the page itself.
    """
    now = timezone.now()
    row = SimpleNamespace(
        pk=0,
        version=0,
        unread_count="{unreadCount}",
        status="closed",
        every_tag=True,  # the snoozed marker too (the page removes what a row does not show)
        last_message_at=now,
        last_message_preview="{lastMessagePreview}",
        last_outbound_failed=True,
        contact=SimpleNamespace(display_name="{contactName}", is_opted_out=True),
        assignee=SimpleNamespace(get_username="{assigneeName}"),
        labels=SimpleNamespace(all=[]),  # chips are drawn by the page (static/js/labels.js)
    )
    message = SimpleNamespace(
        pk=0,
        direction="out",
        body="{body}",
        created_at=now,
        # One media item of each kind (``messaging.models.media_kind``): the page clones the one a media item needs.
        media=SimpleNamespace(
            all=[
                SimpleNamespace(position=0, content_type="{contentType}", kind=kind, description="{description}")
                for kind in (IMAGE, AUDIO, FILE)
            ]
        ),
        sent_by=SimpleNamespace(get_full_name="{sentByName}", get_username="{sentByName}"),
        automatic=True,  # the "Automatic reply" badge (the page removes it from other bubbles)
        status="{status}",
        get_status_display="{statusLabel}",
        error_code="{errorCode}",
        error_message="{errorMessage}",
        failed=True,
        retryable=True,
        waiting=True,  # "Scheduled for …" with Edit and Cancel (the page removes them from other bubbles)
        send_at=now,
        not_sent=True,
    )
    # An activity row (templates/inbox/_event.html): the page writes its sentence (static/js/activity.js).
    event = SimpleNamespace(pk=0, is_event=True, created_at=now, sentence=("{text}", None, ""))
    return {"row": row, "message": message, "note": note_template_data(), "event": event}


def _conversation_or_404(request: HttpRequest, conversation_id: int) -> Conversation:
    return found_or_404(conversation_get_for_user(user=request.user, conversation_id=conversation_id), "Conversation")


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept") == "application/json"


def _answer(request: HttpRequest, conversation: Conversation, error: ServiceError | None = None) -> HttpResponse:
    """What a thread action answers: the page's scripts (``Accept: application/json``) get the row as it now
    is, or the error; a plain form post goes back to the thread (with the error flashed)."""
    if _wants_json(request):
        if error is not None:
            return JsonResponse({"error": error.message}, status=400)
        conversation = conversation_get_for_user(user=request.user, conversation_id=conversation.pk) or conversation
        return JsonResponse(camelize({"conversation": conversation_payload(conversation)}))
    if error is not None:
        flash.error(request, error.message)
    return _back(request, conversation)


def _back(request: HttpRequest, conversation: Conversation) -> HttpResponse:
    query = request.POST.get("return_query", "")
    url = reverse("inbox-thread", args=[conversation.pk])
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_GET
def inbox(request: HttpRequest, conversation_id: int | None = None) -> HttpResponse:
    """The inbox page; opening a thread marks it read (every open inbox sees the badge clear)."""
    if "\x00" in request.GET.get("q", ""):  # refused as the API refuses it (PostgreSQL cannot search for it)
        return HttpResponseBadRequest(NUL_IN_SEARCH)
    conversation = _conversation_or_404(request, conversation_id) if conversation_id else None
    organization = conversation.organization if conversation else current_organization(request)
    if organization is None:
        return render(request, "inbox/no_organization.html", status=403)
    if conversation is not None:
        request.session[SESSION_KEY] = organization.pk
        conversation_mark_read(conversation=conversation)
    active_filter = request.GET.get("filter", "all")
    if active_filter not in LIST_FILTERS:
        active_filter = "all"
    q = request.GET.get("q", "")[:SEARCH_MAX_LENGTH]
    # Labels and saved views (pages/labels.py): a saved view's filters replace the tab's; a label adds to them.
    extra, listing = list_extras(request, organization=organization, filters=LIST_FILTERS[active_filter])
    if listing["view"] is not None:
        active_filter, q, list_filters = "all", "", extra
    else:
        list_filters = {**LIST_FILTERS[active_filter], **extra, "q": q}
    page = conversation_page(
        with_messages(conversation_list(user=request.user, organization=organization, **list_filters)),
        cursor=request.GET.get("cursor", ""),
    )
    thread = thread_page(conversation=conversation) if conversation else None
    # A draft the no-JavaScript form had refused (``send``): back in the composer, once.
    nojs_draft = request.session.pop(NOJS_DRAFT.format(conversation.pk), None) if conversation else None
    list_query = urlencode({k: v for k, v in (("filter", active_filter), ("q", q)) if v and v != "all"})
    if listing["query"]:
        list_query = f"{list_query}&{listing['query']}" if list_query else listing["query"]
    now = timezone.now().isoformat()  # the page resyncs from this moment after (re)connecting
    context = {
        "organization": organization,
        "organizations": organizations_for_user(request.user),
        "filters": [(f, f.capitalize()) for f in LIST_FILTERS],
        "max_note": notes_config(None)["limits"]["note"],
        "active_filter": active_filter,
        "empty_list": EMPTY_LIST[active_filter],
        "q": q,
        "list_query": list_query,
        "page": page,
        "conversation": conversation,
        "thread": thread,
        "snooze_menu": snooze_menu(timezone.now()) if conversation else [],
        "send_later_menu": (
            send_later_menu(now=timezone.now(), zone=timezone.get_current_timezone()) if conversation else []
        ),
        "members": (
            Membership.objects.filter(organization=organization, user__is_active=True)
            .select_related("user")
            .order_by("user__username")
            if conversation
            else []
        ),
        "opt_out_reason": opt_out_reason(conversation.contact) if conversation else "",
        # The contact panel (templates/inbox/_contact_panel.html; saved by pages/profile.py).
        "profile": contact_profile(conversation=conversation) if conversation else None,
        "all_labels": label_list(organization=organization) if conversation else [],
        "max_contact_notes": CONTACT_NOTES_MAX_LENGTH,
        "max_body": MAX_BODY_CHARACTERS,
        "max_media": MAX_MEDIA,
        # The composer's "From" when the organization has several numbers (``message_send``'s ``from_number_id``).
        "sending_numbers": list(organization.phone_numbers.order_by("number")) if conversation else [],
        "attachment_accept": ",".join(sorted(attachment_rules.ACCEPTED_TYPES)),
        "time_zone_name": timezone.get_current_timezone_name(),
        # One key per composed message: a double submit sends once (a refused draft keeps its key).
        "idempotency_key": (nojs_draft or {}).get("idempotency_key") or uuid.uuid4().hex,
        "nojs_draft": nojs_draft,
        # The newest message the page shows: the no-JavaScript form's send guard (``send``).
        "last_seen_message_id": max((i.pk for i in thread.items if isinstance(i, Message)), default=0) if thread else 0,
        "inbox_config": inbox_config(
            request,
            organization=organization,
            conversation=conversation,
            active_filter=active_filter,
            q=q,
            list_query=list_query,
            now=now,
        ),
        "template": _template_data(),
        "listing": listing,
        **sidebar_context(request, organization=organization),
    }
    labels = labels_config(organization, label=listing["label"], view=listing["view"])
    context["inbox_config"]["labels"] = camelize({k: v for k, v in labels.items() if k != "urls"})
    context["inbox_config"]["urls"] |= camelize(labels["urls"])
    return render(request, "inbox/inbox.html", context)


@login_required
@require_GET
def older_messages(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """ "Load older": the page of messages before ``before``, as list items."""
    conversation = _conversation_or_404(request, conversation_id)
    thread = thread_page(conversation=conversation, before=request.GET.get("before", ""))
    return render(request, "inbox/_older.html", {"thread": thread, "conversation": conversation})


@login_required
@require_POST
def mark_read(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    conversation_mark_read(conversation=conversation)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    return _back(request, conversation)


@login_required
@require_POST
def mark_unread(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Mark a thread unread; a plain form post goes back to the list (opening the thread would read it)."""
    conversation = _conversation_or_404(request, conversation_id)
    conversation_mark_unread(conversation=conversation)
    if _wants_json(request):
        return _answer(request, conversation)
    query = request.POST.get("return_query", "")
    return redirect(f"{reverse('home')}?{query}" if query else reverse("home"))


@login_required
@require_POST
def set_status(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    try:
        conversation_set_status(
            conversation=conversation, status=request.POST.get("status", ""), by_user_id=request.user.pk
        )
    except ServiceError as exc:
        return _answer(request, conversation, exc)
    return _answer(request, conversation)


@login_required
@require_POST
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    raw = request.POST.get("assignee", "")
    if raw == "me":
        raw = str(request.user.pk)
    assignee_id = ascii_int(raw) if raw else None
    if raw and assignee_id is None:
        if _wants_json(request):
            return JsonResponse({"error": "Choose a member."}, status=400)
        return HttpResponseBadRequest("Choose a member.")
    try:
        conversation_assign(conversation=conversation, assignee_id=assignee_id, by_user_id=request.user.pk)
    except ServiceError as exc:
        return _answer(request, conversation, exc)
    return _answer(request, conversation)


def _posted_send_at(request: HttpRequest) -> datetime | None:
    """"Send later" without JavaScript: a preset's moment (ISO 8601 with its offset, ``send_at``), or the custom
    date and time (``send_at_local``, read in the viewer's zone) when its Schedule button was pressed; ``None``:
    send now. A value that is no time is a ``ServiceError`` (the page says so and keeps the draft)."""
    if request.POST.get("schedule") != "custom":
        return posted_moment(request.POST.get("send_at", ""), local=False)
    when = posted_moment(request.POST.get("send_at_local", ""), local=True)
    if when is None:
        raise ServiceError("Choose a date and time to send it.", field="sendAt")
    return when


@login_required
@require_POST
def send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The composer without JavaScript (with it, the page posts to the API instead).

    Guarded as the page's sends are: the form names the newest message the page showed
    (``last_seen_message_id``); a newer one refuses the send, and the page comes back with the notice, the
    draft kept and a "Send anyway" button (``confirm``). A refused draft is never lost: it is kept in the
    session for the next render of this thread (``NOJS_DRAFT``), whatever the refusal.
    """
    conversation = _conversation_or_404(request, conversation_id)
    body = request.POST.get("body", "")
    media_text = request.POST.get("media_urls", "")
    seen = ascii_int(request.POST.get("last_seen_message_id", ""))
    try:
        send_at = _posted_send_at(request)
        message_send(
            organization=conversation.organization,
            sender=request.user,
            contact=conversation.contact,
            body=body,
            media_urls=[u for u in media_text.split() if u],
            attachment_ids=[n for n in map(ascii_int, request.POST.getlist("attachment_ids")[:MAX_MEDIA]) if n],
            idempotency_key=request.POST.get("idempotency_key") or None,
            last_seen_message_id=seen,
            confirm=request.POST.get("confirm") == "1",
            send_at=send_at,
            from_number_id=ascii_int(request.POST.get("from_number_id", "")),
        )
    except ServiceError as exc:
        flash.error(request, exc.message)
        request.session[NOJS_DRAFT.format(conversation.pk)] = {
            "body": body[: MAX_BODY_CHARACTERS * 2],
            "media_urls": media_text[:4000],
            "changed": isinstance(exc, ConversationChanged),
            "idempotency_key": request.POST.get("idempotency_key", "")[:100],
        }
    return _back(request, conversation)


@login_required
@require_POST
def switch_organization(request: HttpRequest) -> HttpResponse:
    wanted = ascii_int(request.POST.get("organization", ""))
    if wanted is not None and organizations_for_user(request.user).filter(pk=wanted).exists():
        request.session[SESSION_KEY] = wanted
    return redirect("home")


@login_required
@require_GET
def sync(request: HttpRequest) -> JsonResponse:
    """What changed since ``since``: the page calls this after a dropped websocket, so nothing is missed.

    Rows, messages, notes and activity events in the shapes (and casing) of the live events they stand in for.
    """
    organization = current_organization(request)
    try:
        since = datetime.fromisoformat(request.GET.get("since", ""))
        # Without an offset: UTC. Then in UTC, which a time at the very edge of the calendar is not.
        since = (timezone.make_aware(since, UTC) if timezone.is_naive(since) else since).astimezone(UTC)
    except (ValueError, OverflowError):
        return JsonResponse({"error": "since must be an ISO 8601 time."}, status=400)
    if organization is None:
        return JsonResponse(
            {"conversations": [], "messages": [], "notes": [], "events": [], "now": timezone.now().isoformat()}
        )
    now = timezone.now()
    conversations = conversations_changed_since(organization=organization, since=since)
    messages, notes, activity = [], [], []
    wanted = ascii_int(request.GET.get("conversation", ""))
    if wanted is not None:
        open_conversation = conversation_get_for_user(user=request.user, conversation_id=wanted)
        if open_conversation is not None:
            messages = [
                message_payload(m)
                for m in Message.objects.filter(conversation=open_conversation, updated_at__gte=since)
                .select_related("sent_by")
                .prefetch_related("media")
                .order_by("created_at", "id")[:500]
            ]
            written = note_list(conversation=open_conversation).filter(created_at__gte=since)
            notes = [note_payload(n) for n in written[:500]]
            happened = activity_list(conversation=open_conversation).filter(created_at__gte=since)
            activity = [activity_payload(e) for e in happened[:500]]
    return JsonResponse(
        camelize(
            {
                # Rows as conversation.updated carries them, with the Failed mark the live rows learn from messages.
                "conversations": [
                    {**conversation_payload(c), "last_outbound_failed": c.last_outbound_failed} for c in conversations
                ],
                "messages": messages,
                "notes": notes,  # note.created payloads: the open thread's notes written since
                "events": activity,  # activity.created payloads: the open thread's activity since
                "now": now.isoformat(),
            }
        )
    )
