"""``/media/<message>/<position>/``: MMS media for the inbox and the API, never a raw Twilio URL.

The viewer must belong to the message's organization (a session, or an API token). Inbound
media is served from ``messaging.media`` (fetched from Twilio with credentials, cached); media
staff attached to an outbound MMS by URL is redirected to; a file they uploaded (``messaging.attachments``) is
served from our storage.
"""

from __future__ import annotations

import re

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_GET
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from messaging.attachments.selectors import attachment_of_media
from messaging.media import MediaContent, MediaUnavailable, media_content, media_is_public
from messaging.selectors import message_media_get_for_user
from smsinbox.web.attachments import file_response
from smsinbox.web.pages import found_or_404

INLINE_TYPES = re.compile(r"^(image|video|audio)/[\w.+-]+$")


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
    media = found_or_404(message_media_get_for_user(user=viewer, message_id=message_id, position=position), "Media")
    attachment = attachment_of_media(media=media)
    if attachment is not None:  # a file staff attached: served from our storage, not through its public URL
        return file_response(attachment, cache="private, max-age=86400")
    if media_is_public(media):
        return HttpResponseRedirect(media.url)
    try:
        content: MediaContent | None = media_content(media=media)
    except MediaUnavailable as exc:
        if exc.reason != "not_ours":
            return HttpResponse("The media could not be fetched from Twilio.", status=502, content_type="text/plain")
        content = None  # a URL that is not our account's media: as if there were none
    content = found_or_404(content, "Media")
    response = HttpResponse(content.body, content_type=content.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    inline = INLINE_TYPES.match(content.content_type) and content.content_type != "image/svg+xml"
    response["Content-Disposition"] = "inline" if inline else f'attachment; filename="media-{message_id}-{position}"'
    return response
