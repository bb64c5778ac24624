"""MMS media for the inbox, fetched from Twilio server-side with credentials and cached.

The page never sees a raw Twilio media URL: it asks ``/media/<message>/<position>/``, which
checks that the viewer belongs to the message's organization. Only media Twilio attached to
an inbound message is fetched with the account's credentials, and only when its URL is exactly
that message's Media resource on our account (so no URL anyone typed is ever fetched with our
credentials). Media staff attached to an outbound MMS is a public URL of theirs: redirected to.
"""

from __future__ import annotations

import logging
import re

import requests
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_GET
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from messaging.models import Direction, MessageMedia
from smsinbox.tenancy import organization_ids_for_user

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024  # Twilio's MMS limit
INLINE_TYPES = re.compile(r"^(image|video|audio)/[\w.+-]+$")


def twilio_media_url_pattern(message_sid: str) -> re.Pattern[str]:
    """The only URLs fetched with credentials: this message's Media resources on our account."""
    bases = ["https://api.twilio.com"]
    if settings.TWILIO_API_BASE_URL:
        bases.append(settings.TWILIO_API_BASE_URL.rstrip("/"))
    prefix = "|".join(re.escape(b) for b in bases)
    account = re.escape(settings.TWILIO_ACCOUNT_SID)
    return re.compile(
        rf"^(?:{prefix})/2010-04-01/Accounts/{account}/Messages/{re.escape(message_sid)}/Media/ME[0-9a-fA-F]{{32}}$"
    )


def _fetch(url: str) -> tuple[str, bytes] | None:
    try:
        with requests.get(
            url,
            auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
            timeout=settings.TWILIO_HTTP_TIMEOUT,
            stream=True,
        ) as answer:
            if answer.status_code != 200:
                return None
            body = answer.raw.read(MAX_BYTES + 1, decode_content=True)
            content_type = answer.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
    except requests.RequestException:
        return None
    return None if len(body) > MAX_BYTES else (content_type, body)


def _viewer(request: HttpRequest) -> object | None:
    """The signed-in staff member, or the owner of an API token (``Authorization: Token …``)."""
    if request.user.is_authenticated:
        return request.user
    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None


@require_GET
def message_media(request: HttpRequest, message_id: int, position: int) -> HttpResponse:
    viewer = _viewer(request)
    if viewer is None:
        if "HTTP_AUTHORIZATION" in request.META:
            return HttpResponse("Invalid token.", status=401, content_type="text/plain")
        return redirect_to_login(request.get_full_path())
    media = (
        MessageMedia.objects.select_related("message")
        .filter(
            message_id=message_id,
            position=position,
            message__organization_id__in=organization_ids_for_user(viewer),
        )
        .first()
    )
    if media is None:
        raise Http404("No such media.")
    message = media.message
    if message.direction == Direction.OUTBOUND:
        return HttpResponseRedirect(media.url)
    if not message.twilio_sid or not twilio_media_url_pattern(message.twilio_sid).match(media.url):
        logger.warning("media %s of message %s has an unexpected URL: not fetched", position, message_id)
        raise Http404("This media is not available.")
    cache = caches["media"]
    key = f"media:{media.pk}"
    cached = cache.get(key)
    if cached is None:
        cached = _fetch(media.url)
        if cached is None:
            logger.warning("media %s of message %s could not be fetched", position, message_id)
            return HttpResponse("The media could not be fetched from Twilio.", status=502, content_type="text/plain")
        cache.set(key, cached)
    content_type, body = cached
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    inline = INLINE_TYPES.match(content_type) and content_type != "image/svg+xml"
    response["Content-Disposition"] = "inline" if inline else f'attachment; filename="media-{message_id}-{position}"'
    return response
