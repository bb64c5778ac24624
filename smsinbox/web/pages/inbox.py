"""The inbox: conversation list on the left, the selected thread on the right, live over websockets.

Every view checks membership through selectors; every change goes through one service.
Forms work without JavaScript; ``static/js/inbox.js`` enhances them (live updates, sending
without reload, "load older").
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from conversations.models import Contact, Conversation
from conversations.payloads import conversation_payload
from conversations.selectors import SEARCH_MAX_LENGTH, conversation_get_for_user, conversation_page
from conversations.services import (
    conversation_assign,
    conversation_mark_read,
    conversation_set_status,
)
from messaging.models import Message
from messaging.payloads import message_payload
from messaging.segments import MAX_BODY_CHARACTERS
from messaging.selectors import conversation_list, message_page
from messaging.services.outbound import message_send, opt_out_reason
from smsinbox.errors import ServiceError
from smsinbox.models import Membership
from smsinbox.parsing import ascii_int
from smsinbox.tenancy import SESSION_KEY, current_organization, organizations_for_user
from smsinbox.web.pages import NUL_IN_SEARCH, found_or_404

# The list's filter tabs, as arguments of ``conversation_list``.
LIST_FILTERS: dict[str, dict[str, object]] = {
    "all": {},
    "unread": {"unread": True},
    "open": {"status": "open"},
    "closed": {"status": "closed"},
    "mine": {"assigned": "me"},
    "unassigned": {"assigned": "unassigned"},
}


def _conversation_or_404(request: HttpRequest, conversation_id: int) -> Conversation:
    return found_or_404(conversation_get_for_user(user=request.user, conversation_id=conversation_id), "Conversation")


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
    page = conversation_page(
        conversation_list(user=request.user, organization=organization, q=q, **LIST_FILTERS[active_filter]),
        cursor=request.GET.get("cursor", ""),
    )
    thread = message_page(conversation=conversation) if conversation else None
    list_query = urlencode({k: v for k, v in (("filter", active_filter), ("q", q)) if v and v != "all"})
    context = {
        "organization": organization,
        "organizations": organizations_for_user(request.user),
        "filters": [(f, f.capitalize()) for f in LIST_FILTERS],
        "active_filter": active_filter,
        "q": q,
        "list_query": list_query,
        "page": page,
        "conversation": conversation,
        "thread": thread,
        "members": (
            Membership.objects.filter(organization=organization, user__is_active=True)
            .select_related("user")
            .order_by("user__username")
            if conversation
            else []
        ),
        "opt_out_reason": opt_out_reason(conversation.contact)
        if conversation and conversation.contact.is_opted_out
        else "",
        "max_body": MAX_BODY_CHARACTERS,
        "time_zone_name": timezone.get_current_timezone_name(),
        "now_iso": timezone.now().isoformat(),  # the page resyncs from this moment after (re)connecting
        "idempotency_key": uuid.uuid4().hex,  # one key per composed message: a double submit sends once
    }
    return render(request, "inbox/inbox.html", context)


@login_required
@require_GET
def older_messages(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """ "Load older": the page of messages before ``before``, as list items."""
    conversation = _conversation_or_404(request, conversation_id)
    thread = message_page(conversation=conversation, before=request.GET.get("before", ""))
    return render(request, "inbox/_older.html", {"thread": thread, "conversation": conversation})


@login_required
@require_POST
def mark_read(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    conversation_mark_read(conversation=conversation)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"ok": True})
    return _back(request, conversation)


@login_required
@require_POST
def set_status(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    try:
        conversation_set_status(conversation=conversation, status=request.POST.get("status", ""))
    except ServiceError as exc:
        flash.error(request, exc.message)
    return _back(request, conversation)


@login_required
@require_POST
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    raw = request.POST.get("assignee", "")
    if raw == "me":
        raw = str(request.user.pk)
    assignee_id = ascii_int(raw) if raw else None
    if raw and assignee_id is None:
        return HttpResponseBadRequest("Choose a member.")
    try:
        conversation_assign(conversation=conversation, assignee_id=assignee_id)
    except ServiceError as exc:
        flash.error(request, exc.message)
    return _back(request, conversation)


@login_required
@require_POST
def send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The composer without JavaScript (with it, the page posts to the API instead)."""
    conversation = _conversation_or_404(request, conversation_id)
    media = [u for u in request.POST.get("media_urls", "").split() if u]
    try:
        message_send(
            organization=conversation.organization,
            sender=request.user,
            contact=conversation.contact,
            body=request.POST.get("body", ""),
            media_urls=media,
            idempotency_key=request.POST.get("idempotency_key") or None,
        )
    except ServiceError as exc:
        flash.error(request, exc.message)
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
    """What changed since ``since``: the page calls this after a dropped websocket, so nothing is missed."""
    organization = current_organization(request)
    try:
        since = datetime.fromisoformat(request.GET.get("since", ""))
        # Without an offset: UTC. Then in UTC, which a time at the very edge of the calendar is not.
        since = (timezone.make_aware(since, UTC) if timezone.is_naive(since) else since).astimezone(UTC)
    except (ValueError, OverflowError):
        return JsonResponse({"error": "since must be an ISO 8601 time."}, status=400)
    if organization is None:
        return JsonResponse({"conversations": [], "messages": [], "now": timezone.now().isoformat()})
    now = timezone.now()
    changed_contacts = Contact.objects.filter(organization=organization, updated_at__gte=since).values("pk")
    conversations = (
        (
            Conversation.objects.filter(organization=organization, updated_at__gte=since)
            | Conversation.objects.filter(organization=organization, contact__in=changed_contacts)
        )
        .select_related("contact", "assignee")
        .order_by("-last_message_at")[:200]
    )
    messages = []
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
    return JsonResponse(
        {
            "conversations": [conversation_payload(c) for c in conversations],
            "messages": messages,
            "now": now.isoformat(),
        }
    )
