"""Attachments' routes: the composer's upload, and the public URL Twilio fetches.

``POST /c/<conversation>/attachments/`` (session and CSRF, multipart ``file``): a file for the composer; answers
``{id, name, size, contentType, thumbnailUrl}``, or 400 ``{"error", "code"}``. ``GET /m/<token>/<name>``: no
authentication, an unguessable token; the file while its public life lasts (``attachment_public_fetch``),
410 Gone after, 404 for a token of nothing. Staff see sent attachments through ``/media/…`` (``smsinbox.web.media``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from conversations.selectors import conversation_get_for_user
from messaging.attachments.models import Attachment
from messaging.attachments.selectors import attachment_get_for_user
from messaging.attachments.services import PublicFetch, attachment_public_fetch, attachment_upload
from smsinbox.errors import ServiceError
from smsinbox.web.pages import found_or_404


def file_response(attachment: Attachment, *, cache: str) -> HttpResponse:
    """The stored file with its own type; never rendered as a page (``nosniff``, a sandbox CSP)."""
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Length"] = str(attachment.size)
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    inline = attachment.content_type.split("/", 1)[0] in {"image", "video", "audio"}
    response["Content-Disposition"] = "inline" if inline else f'attachment; filename="{attachment.name}"'
    return response


@login_required
@require_POST
def upload(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = found_or_404(
        conversation_get_for_user(user=request.user, conversation_id=conversation_id), "Conversation"
    )
    file = request.FILES.get("file")
    if file is None:
        return JsonResponse({"error": "Choose a file to attach.", "code": "invalid"}, status=400)
    try:
        attachment = attachment_upload(
            organization=conversation.organization, user=request.user, conversation=conversation, upload=file
        )
    except ServiceError as exc:
        return JsonResponse({"error": exc.message, "code": exc.code}, status=400)
    return JsonResponse(
        {
            "id": attachment.pk,
            "name": attachment.name,
            "size": attachment.size,
            "contentType": attachment.content_type,
            "thumbnailUrl": reverse("attachment-preview", args=[attachment.pk]),
        },
        status=201,
    )


@login_required
@require_GET
def preview(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """An upload's file for its uploader's organization (the composer's chip thumbnail)."""
    attachment = found_or_404(attachment_get_for_user(user=request.user, attachment_id=attachment_id), "Attachment")
    return file_response(attachment, cache="private, max-age=3600")


@require_GET
def public(request: HttpRequest, token: str, name: str) -> HttpResponse:
    outcome, attachment = attachment_public_fetch(token=token, name=name)
    if outcome is PublicFetch.NOT_FOUND or attachment is None:
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    if outcome is PublicFetch.GONE:
        return HttpResponse("This link has expired.", status=410, content_type="text/plain")
    return file_response(attachment, cache="no-store")
