"""Private notes in the inbox's thread: the "Note" mode of the composer, without JavaScript too.

With JavaScript, the note form posts to the API (``POST /api/conversations/{id}/notes/``); without it,
to ``add_note`` here. Either way one service writes it (``note_create``); a note is never a text.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from conversations.models import NOTE_MAX_LENGTH
from conversations.payloads import user_name
from conversations.selectors import conversation_get_for_user
from conversations.services import note_create
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization
from smsinbox.web.pages import found_or_404


def mention_members(organization: Organization) -> list[dict[str, Any]]:
    """Who the composer offers after ``@``: the organization's active members (what the server will link)."""
    memberships = (
        Membership.objects.filter(organization=organization, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    return [{"id": m.user.pk, "username": m.user.get_username(), "name": user_name(m.user)} for m in memberships]


def notes_config(conversation_id: int | None) -> dict[str, Any]:
    """The notes' part of the page's configuration (snake_case; the caller camelizes it)."""
    urls = {}
    if conversation_id is not None:
        urls["notes"] = reverse("api-conversation-notes", args=[conversation_id])
    return {"limits": {"note": NOTE_MAX_LENGTH}, "urls": urls}


def note_template_data() -> SimpleNamespace:
    """A note with every optional part, ``{token}`` where the page writes a payload's text (``templates.js``)."""
    return SimpleNamespace(
        pk=0,
        is_note=True,
        body="{body}",
        created_at=timezone.now(),
        author=SimpleNamespace(get_full_name="{authorName}", get_username="{authorName}"),
        author_id=1,
        mention_rows=SimpleNamespace(all=[SimpleNamespace(user=SimpleNamespace(get_username="{username}"))]),
    )


@login_required
@require_POST
def add_note(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The composer's "Note" mode without JavaScript: write the note, back to the thread at it."""
    conversation = found_or_404(
        conversation_get_for_user(user=request.user, conversation_id=conversation_id), "Conversation"
    )
    url = reverse("inbox-thread", args=[conversation.pk])
    query = request.POST.get("return_query", "")
    url = f"{url}?{query}" if query else url
    try:
        note = note_create(conversation=conversation, author=request.user, body=request.POST.get("note_body", ""))
    except ServiceError as exc:
        flash.error(request, exc.message)
        return redirect(url)
    return redirect(f"{url}#note-{note.pk}")
