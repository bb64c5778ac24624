"""CSV downloads: the organization's contacts, and one conversation's transcript.

Who may download: every staff member of the organization (the same people who can read every contact
and thread in the inbox; a download shows nothing the pages do not). Both are streamed: the response
is written while the rows are read, a chunk at a time, so 100,000 contacts never sit in memory.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from conversations.exports import contacts_export_rows
from conversations.selectors import conversation_get_for_user
from messaging.exports import conversation_transcript_rows
from smsinbox.audit.services import Action, audit_record
from smsinbox.csv_export import csv_stream
from smsinbox.tenancy import current_organization
from smsinbox.web.pages import found_or_404


def csv_response(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_stream(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: not kept by shared caches or the browser
    return response


@login_required
@require_GET
def contacts_export(request: HttpRequest) -> StreamingHttpResponse:
    organization = found_or_404(current_organization(request), "Organization")
    stamp = timezone.localdate().isoformat()
    audit_record(organization=organization, action=Action.CONTACTS_EXPORTED, actor=request.user, label="contacts")
    return csv_response(contacts_export_rows(organization=organization), f"contacts-{stamp}.csv")


@login_required
@require_GET
def conversation_export(request: HttpRequest, conversation_id: int) -> StreamingHttpResponse:
    conversation = found_or_404(
        conversation_get_for_user(user=request.user, conversation_id=conversation_id), "Conversation"
    )
    audit_record(
        organization=conversation.organization_id,
        action=Action.TRANSCRIPT_EXPORTED,
        actor=request.user,
        target=conversation,
    )
    return csv_response(
        conversation_transcript_rows(conversation=conversation, zone=timezone.get_current_timezone()),
        f"conversation-{conversation.pk}-transcript.csv",
    )
