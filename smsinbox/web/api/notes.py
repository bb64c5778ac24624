"""Private notes through the API: ``GET``/``POST /api/conversations/{id}/notes/``.

A note is never a text: it has its own route, is never sent to Twilio and never changes the
conversation's row. Every route answers for the caller's organizations only: another
organization's conversation is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.models import NOTE_MAX_LENGTH
from conversations.payloads import NotePayload, note_payload
from conversations.selectors import note_page
from conversations.services import note_create
from smsinbox.web.api.conversations import conversation_or_404
from smsinbox.web.api.errors import error_responses
from smsinbox.web.api.fields import StrictCharField, query_values
from smsinbox.web.api.pagination import PageQuerySerializer, cursor_load, page_response, page_serializer
from smsinbox.web.api.schema import id_parameter
from smsinbox.web.api.shapes import shape_serializer

NOTES = ["notes"]

NoteSerializer = shape_serializer(NotePayload, note_payload)

NotePage = page_serializer(
    NoteSerializer, "Oldest first. The first page holds the newest notes; `nextCursor` loads the older ones."
)


class ConversationNoteListApi(APIView):
    """A thread's private notes, oldest first on each page; the first page is the newest."""

    FilterSerializer = PageQuerySerializer
    OutputSerializer = NotePage

    @extend_schema(
        operation_id="conversations_notes_list",
        tags=NOTES,
        parameters=[id_parameter("The conversation's id."), FilterSerializer],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        conversation = conversation_or_404(request, pk)
        query = query_values(self.FilterSerializer, request)
        page = note_page(
            conversation=conversation, before=cursor_load("notes", query.get("cursor", "")), limit=query["limit"]
        )
        return page_response(request, kind="notes", page=page, serializer=NoteSerializer)


class ConversationNoteCreateApi(APIView):
    """Write a private note in a thread: staff only, never sent to the contact; `@username` mentions members."""

    class InputSerializer(serializers.Serializer):
        body = StrictCharField(
            max_length=NOTE_MAX_LENGTH,
            allow_blank=True,  # a blank note is refused by the service, with its own words
            trim_whitespace=False,
            help_text=f"The note, as plain text (up to {NOTE_MAX_LENGTH} characters). `@username` mentions a "
            "member of the conversation's organization; any other `@text` stays text.",
        )

    OutputSerializer = NoteSerializer

    @extend_schema(
        operation_id="conversations_notes_create",
        tags=NOTES,
        request=InputSerializer,
        examples=[OpenApiExample("Note", {"body": "@maria can you call them back?"}, request_only=True)],
        parameters=[id_parameter("The conversation's id.")],
        responses={
            201: OpenApiResponse(OutputSerializer, description="Stored; colleagues' inboxes show it at once."),
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = conversation_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = note_create(conversation=conversation, author=request.user, body=data.validated_data["body"])
        return Response(self.OutputSerializer(note).data, status=status.HTTP_201_CREATED)
