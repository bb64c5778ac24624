"""The DRF pieces of Twilio's webhooks: how a post is read, who may post, what the answer is.

Nothing here comes from the REST API's conventions (``smsinbox.web.api``: camelCase JSON, token or
session authentication, ``{"error": …}`` bodies): a webhook is a signed form post from Twilio,
answered with TwiML. The views (``messaging.twilio.webhooks``) name every class below explicitly, so
the global ``REST_FRAMEWORK`` settings never apply to them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, UnsupportedMediaType
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from messaging.twilio.signatures import request_is_signed

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SIGNATURE_REFUSED = "Invalid Twilio signature."


def posted_fields(request: Request) -> Mapping[str, Any]:
    """The fields of a webhook post, read once: the same for the signature, the logs and the view.

    Twilio posts a UTF-8 form with its ``Content-Length``: the view's ``FormParser`` reads it
    (``request.data``, which DRF also hands to the Django request as ``POST``). Any other body is
    what Django makes of it, exactly as before the views were DRF's: a multipart form's fields; no
    fields at all for JSON or text (so such a post is signed over the URL alone, then ignored as
    malformed); a 400 for a form in another charset or an unreadable multipart body; a chunked body
    (no ``Content-Length``, which DRF would read as empty) read whole under ASGI.
    """
    if request.META.get("CONTENT_LENGTH") and (request.encoding or "utf-8").lower() == "utf-8":
        with contextlib.suppress(UnsupportedMediaType):
            return request.data
    return request._request.POST


@dataclass(frozen=True)
class TwilioSignature:
    """``request.auth`` of a webhook that passed the signature check: the account that signed it."""

    account_sid: str


class TwilioSignatureAuthentication(BaseAuthentication):
    """``X-Twilio-Signature`` over the public URL and every posted field (``signatures.request_is_signed``).

    Every webhook must be signed: a missing header is refused like a wrong one (there is no other
    scheme to fall through to). Twilio is none of our users: ``request.user`` stays anonymous and
    ``request.auth`` names the account.
    """

    def authenticate(self, request: Request) -> tuple[AnonymousUser, TwilioSignature]:
        fields = posted_fields(request)
        if not request_is_signed(request._request, fields):
            raise AuthenticationFailed(SIGNATURE_REFUSED)
        return AnonymousUser(), TwilioSignature(account_sid=str(fields.get("AccountSid") or ""))

    def authenticate_header(self, request: Request) -> None:
        return None  # no challenge to offer: a refusal is a 403, never a 401


class HasTwilioSignature(BasePermission):
    """Only a request that ``TwilioSignatureAuthentication`` accepted."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, TwilioSignature)


class TwimlRenderer(BaseRenderer):
    """``text/xml``, exactly the empty ``<Response></Response>`` document: the webhooks never reply by SMS."""

    media_type = "text/xml"
    format = "xml"
    charset = None  # the header says "text/xml" alone, as before; the document declares its encoding

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is not None:
            raise TypeError(f"TwimlRenderer renders only the empty response, not {type(data).__name__}")
        return EMPTY_TWIML.encode()


class TwimlOnly(DefaultContentNegotiation):
    """Parsers chosen by ``Content-Type`` as usual; the answer is TwiML whatever ``Accept`` or
    ``?format=`` say (never a 406, never a 404): Twilio reads TwiML."""

    def select_renderer(self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None):
        return renderers[0], renderers[0].media_type
