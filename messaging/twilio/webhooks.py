"""Twilio's webhooks: ``POST /api/twilio/sms-incoming`` and ``POST /api/twilio/sms-status``, as DRF views.

``TwilioWebhookView`` reads the post with DRF's ``FormParser``, checks the signature as its
authentication (``drf.TwilioSignatureAuthentication``, required by ``drf.HasTwilioSignature``),
answers TwiML (``drf.TwimlRenderer``) and holds the whole failure policy — deliberately unlike the
seed's "always 200" — in one place: ``initial`` refuses before anything is read,
``handle_exception`` maps every other outcome to its answer.

- not a POST → 405, answered and logged as Django's ``require_POST`` does;
- a body over 64 kB (or a ``Content-Length`` that is not ASCII digits) → 413, before the body is
  read or the signature checked;
- unsigned or wrongly signed → 403, nothing written, one warning naming the MessageSid;
- signed but unusable for a permanent reason (unknown number, malformed fields) → 200 and a log
  line, so Twilio stops retrying;
- a transient failure (database unavailable, lock or pool timeout, or a database that stops
  answering: ``smsinbox.deadline`` cuts it after ``WEBHOOK_DATABASE_DEADLINE_SECONDS``) → 503
  within seconds, so Twilio's retry or fallback URL delivers it again. Never 200 for a message
  we did not store;
- anything else is Django's to answer: a 400 for a body Django refuses to parse, a 500 for a bug.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.utils.log import log_response
from rest_framework import status
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    MethodNotAllowed,
    NotAuthenticated,
    PermissionDenied,
)
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.intake.models import WebhookPost
from messaging.intake.services import Posted, posted_apply, posted_parse, webhook_post_keep
from messaging.services import UnknownNumber
from messaging.twilio.drf import (
    EMPTY_TWIML,
    SIGNATURE_REFUSED,
    HasTwilioSignature,
    TwilioSignatureAuthentication,
    TwimlOnly,
    TwimlRenderer,
    posted_fields,
)
from messaging.twilio.payloads import MalformedWebhook
from smsinbox.deadline import database_deadline
from smsinbox.ops.metrics import WEBHOOK_SECONDS, WEBHOOKS
from smsinbox.parsing import ascii_int

__all__ = ["EMPTY_TWIML", "MAX_BODY_BYTES", "SmsIncomingView", "SmsStatusView", "TwilioWebhookView"]

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # Twilio's own limit (error 11750)


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."

    def __init__(self, length: str) -> None:
        super().__init__()
        self.length = length


def _refusal(text: str, status_code: int) -> HttpResponse:
    """A 4xx we have already logged in one line (Django's request logger then stays quiet)."""
    response = HttpResponse(text, status=status_code, content_type="text/plain")
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class TwilioWebhookView(APIView):
    """A signed form post from Twilio, kept or stored (``post``) and answered with empty TwiML.

    Every DRF policy is named here, so none of the global ``REST_FRAMEWORK`` settings (the REST
    API's camelCase JSON, token and session authentication with CSRF, its exception handler,
    throttles, schema) applies.
    """

    http_method_names = ["post"]
    parser_classes = [FormParser]
    renderer_classes = [TwimlRenderer]
    authentication_classes = [TwilioSignatureAuthentication]
    permission_classes = [HasTwilioSignature]
    throttle_classes = []
    content_negotiation_class = TwimlOnly
    versioning_class = None
    metadata_class = None  # OPTIONS is a 405 like any other method but POST
    schema = None  # signed posts from Twilio, not part of the REST API's OpenAPI schema

    @property
    def default_response_headers(self) -> dict[str, str]:
        return {}  # no "Allow"/"Vary" on every answer: the 405 names its "Allow: POST" itself

    route = "-"  # the metrics' and logs' name of the webhook
    intake_route = ""  # which posts it takes (``WebhookPost.Route``)
    outcome = ""  # what happened (stored, repeated, ignored, refused, unavailable …), set on the way

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """DRF's dispatch, counted and timed by route and outcome (``smsinbox.ops.metrics``)."""
        started = time.perf_counter()
        self.outcome = ""
        response = super().dispatch(request, *args, **kwargs)
        outcome = self.outcome or ("ok" if response.status_code < 400 else f"http_{response.status_code}")
        WEBHOOKS.labels(self.route, outcome).inc()
        WEBHOOK_SECONDS.labels(self.route, outcome).observe(time.perf_counter() - started)
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """What is refused before the body is read; then DRF's negotiation, authentication, permission."""
        if request.method != "POST":
            raise MethodNotAllowed(request.method)
        length = request.META.get("CONTENT_LENGTH") or "0"
        size = ascii_int(length)
        if size is None or size > MAX_BODY_BYTES:
            raise BodyTooLarge(length)
        super().initial(request, *args, **kwargs)

    def post(self, request: Request) -> Response:
        """Keep the post (store-first) or apply it (direct); 200 and empty TwiML: stored, kept, repeated or
        ignored alike (``messaging.intake.services``)."""
        posted = posted_parse(route=self.intake_route, fields=posted_fields(request), query=request.query_params)
        if settings.WEBHOOK_INTAKE == "store-first":
            with database_deadline(settings.WEBHOOK_DATABASE_DEADLINE_SECONDS):
                self.outcome = "kept" if webhook_post_keep(posted=posted) else "repeated"
            return Response()
        try:
            with database_deadline(settings.WEBHOOK_DATABASE_DEADLINE_SECONDS):
                self.outcome = posted_apply(posted=posted)
        except (UnknownNumber, DatabaseError):
            raise
        except Exception as exc:  # a bug: keep what Twilio posted for a replay after the fix, then a 500
            self._keep_failed(posted, exc)
            raise
        return Response()

    def _keep_failed(self, posted: Posted, exc: Exception) -> None:
        """Keep the post as failed, under a deadline of its own (the request's may be spent)."""
        try:
            with database_deadline(settings.WEBHOOK_DATABASE_DEADLINE_SECONDS):
                webhook_post_keep(posted=posted, error=f"{type(exc).__name__}: {exc}")
        except Exception:
            logger.exception("twilio webhook %s: the failed post could not be kept either", self.request.path)

    def handle_exception(self, exc: Exception) -> HttpResponseBase:
        """The failure policy: every refusal, ignore and transient failure, of every step, answered here."""
        request = self.request
        path = request.path
        self.outcome = "refused"
        if isinstance(exc, MethodNotAllowed):
            response = HttpResponseNotAllowed(["POST"])
            log_response(
                "Method Not Allowed (%s): %s", request.method, path, response=response, request=request._request
            )
            return response
        if isinstance(exc, BodyTooLarge):
            logger.warning("twilio webhook %s refused: body of %s bytes", path, exc.length[:12])
            return _refusal(str(exc.detail), exc.status_code)
        if isinstance(exc, NotAuthenticated | AuthenticationFailed | PermissionDenied):
            logger.warning("twilio webhook %s refused: bad signature (MessageSid %s)", path, self._sid_for_log())
            return _refusal(SIGNATURE_REFUSED, status.HTTP_403_FORBIDDEN)
        if isinstance(exc, MalformedWebhook | UnknownNumber):
            self.outcome = "ignored"
        if isinstance(exc, MalformedWebhook):
            logger.warning("twilio webhook %s ignored (MessageSid %s): %s", path, self._sid_for_log(), exc)
            return Response()
        if isinstance(exc, UnknownNumber):
            logger.warning("inbound %s ignored: %s", self._sid_for_log(), exc.message)
            return Response()
        if isinstance(exc, DatabaseError):
            self.outcome = "unavailable"
            logger.exception("twilio webhook %s failed, Twilio will retry (MessageSid %s)", path, self._sid_for_log())
            return HttpResponse("Temporarily unavailable.", status=503, content_type="text/plain")
        self.outcome = "error"
        if isinstance(exc, APIException):  # none is expected (no throttle, no other parser); never JSON
            return HttpResponse(str(exc.detail), status=exc.status_code, content_type="text/plain")
        raise exc  # Django's to answer: a 400 for a body it refuses to parse, a 500 for a bug

    def _sid_for_log(self) -> str:
        fields = posted_fields(self.request)
        return str(fields.get("MessageSid") or fields.get("SmsSid") or "-")[:40]


class SmsIncomingView(TwilioWebhookView):
    """A message comes in: stored exactly once (a repeated delivery is answered 200 too)."""

    route = "sms-incoming"
    intake_route = WebhookPost.Route.INBOUND


class SmsStatusView(TwilioWebhookView):
    """Status callback of a message we sent (``?m=<id>`` names it): stored, repeated or ignored alike."""

    route = "sms-status"
    intake_route = WebhookPost.Route.STATUS
