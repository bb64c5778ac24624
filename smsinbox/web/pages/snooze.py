"""Snooze in the inbox's thread: the "Snooze" menu's presets, a custom time, "until they reply", and "Unsnooze".

The presets are computed here, in the viewer's zone (the active time zone: the user's profile's, else their
browser's), by ``snooze_preset_until``; a custom time is the ``datetime-local`` value read in that zone. One
service writes either (``conversation_snooze``); the page's scripts post the same form and get the row back.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from conversations.snooze import conversation_snooze, conversation_unsnooze, snooze_preset_until
from smsinbox.errors import ServiceError
from smsinbox.web.pages.inbox import _answer, _conversation_or_404

CUSTOM, UNTIL_REPLY = "custom", "reply"


def _until(request: HttpRequest, preset: str) -> datetime | None:
    """The time a posted preset or custom ``until`` (``datetime-local``, in the viewer's zone) stands for."""
    zone = timezone.get_current_timezone()
    if preset == CUSTOM:
        raw = request.POST.get("until", "").strip()
        try:
            until = datetime.fromisoformat(raw)
            return timezone.make_aware(until, zone) if timezone.is_naive(until) else until
        except (ValueError, OverflowError):
            raise ServiceError("Choose a date and time to snooze until.", field="until") from None
    return snooze_preset_until(preset=preset, now=timezone.now(), zone=zone)


@login_required
@require_POST
def snooze(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    preset = request.POST.get("preset", "")
    try:
        if preset == UNTIL_REPLY:
            conversation_snooze(conversation=conversation, user=request.user, until_reply=True)
        else:
            conversation_snooze(conversation=conversation, user=request.user, until=_until(request, preset))
    except ServiceError as exc:
        return _answer(request, conversation, exc)
    return _answer(request, conversation)


@login_required
@require_POST
def unsnooze(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation_or_404(request, conversation_id)
    conversation_unsnooze(conversation=conversation, by_user_id=request.user.pk)
    return _answer(request, conversation)
