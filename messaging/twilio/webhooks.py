"""Twilio's webhooks: ``POST /api/twilio/sms-incoming`` and ``POST /api/twilio/sms-status``.

Failure policy (deliberately unlike the seed's "always 200"):
- unsigned or wrongly signed → 403, nothing written, one warning naming the MessageSid;
- signed but unusable for a permanent reason (unknown number, malformed fields) → 200 and a
  log line, so Twilio stops retrying;
- a transient failure (database unavailable, lock or pool timeout, or a database that stops
  answering: ``smsinbox.deadline`` cuts it after ``WEBHOOK_DATABASE_DEADLINE_SECONDS``) → 503
  within seconds, so Twilio's retry or fallback URL delivers it again. Never 200 for a message
  we did not store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging.services import UnknownNumber, message_receive, message_status_update
from messaging.twilio.payloads import MalformedWebhook, parse_inbound, parse_status_callback
from messaging.twilio.signatures import request_is_signed
from smsinbox.deadline import database_deadline
from smsinbox.parsing import ascii_int

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_BODY_BYTES = 64 * 1024  # Twilio's own limit (error 11750)


def _twiml() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def _refusal(text: str, status: int) -> HttpResponse:
    """A 4xx we have already logged in one line (Django's request logger then stays quiet)."""
    response = HttpResponse(text, status=status, content_type="text/plain")
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _sid_for_log(request: HttpRequest) -> str:
    return str(request.POST.get("MessageSid") or request.POST.get("SmsSid") or "-")[:40]


def twilio_webhook(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Size limit, signature check and the transient-failure policy shared by both webhooks."""

    @csrf_exempt
    @require_POST
    def wrapper(request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        size = ascii_int(length)
        if size is None or size > MAX_BODY_BYTES:
            logger.warning("twilio webhook %s refused: body of %s bytes", request.path, length[:12])
            return _refusal("Request body too large.", 413)
        if not request_is_signed(request):
            logger.warning(
                "twilio webhook %s refused: bad signature (MessageSid %s)", request.path, _sid_for_log(request)
            )
            return _refusal("Invalid Twilio signature.", 403)
        try:
            with database_deadline(settings.WEBHOOK_DATABASE_DEADLINE_SECONDS):
                return view(request)
        except MalformedWebhook as exc:
            logger.warning("twilio webhook %s ignored (MessageSid %s): %s", request.path, _sid_for_log(request), exc)
            return _twiml()
        except DatabaseError:
            logger.exception(
                "twilio webhook %s failed, Twilio will retry (MessageSid %s)", request.path, _sid_for_log(request)
            )
            return HttpResponse("Temporarily unavailable.", status=503, content_type="text/plain")

    return wrapper


@twilio_webhook
def sms_incoming(request: HttpRequest) -> HttpResponse:
    sms = parse_inbound(request.POST)
    try:
        result = message_receive(sms=sms)
    except UnknownNumber as exc:
        logger.warning("inbound %s ignored: %s", sms.message_sid, exc.message)
        return _twiml()
    if not result.created:
        logger.info("inbound %s repeated: already stored as message %s", sms.message_sid, result.message.pk)
    return _twiml()


@twilio_webhook
def sms_status(request: HttpRequest) -> HttpResponse:
    report = parse_status_callback(request.POST, request.GET)
    message_status_update(report=report)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")  # 200: stored, repeated or ignored alike
