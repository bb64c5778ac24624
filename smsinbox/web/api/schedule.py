"""Scheduled messages through the API: ``PATCH /api/messages/{id}/`` (text, time) and ``DELETE`` (cancel).

A message sent with ``sendAt`` waits with status ``scheduled`` (``messaging.services.schedule``). Until it starts
sending it can be edited or canceled; after that both answer 409 (``not_scheduled``) saying why. Another
organization's message is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.segments import MAX_BODY_CHARACTERS
from messaging.selectors import message_get_for_user
from messaging.services.schedule import SCHEDULE_MAX, message_schedule_cancel, message_schedule_edit
from smsinbox.web.api.errors import ErrorSerializer, error_responses, found_or_404
from smsinbox.web.api.fields import OffsetDateTimeField, StrictCharField
from smsinbox.web.api.keys import staff_member
from smsinbox.web.api.messages import MESSAGES, MessageSerializer
from smsinbox.web.api.schema import id_parameter

REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="Refused (`not_scheduled`): the message already started sending, or was canceled, or was never "
    "scheduled; the error says which.",
)


class ScheduledMessageUpdateApi(APIView):
    """Change a scheduled message's text and/or time, until it starts sending."""

    class InputSerializer(serializers.Serializer):
        message = StrictCharField(
            required=False,
            allow_blank=True,
            trim_whitespace=False,
            help_text=f"Up to {MAX_BODY_CHARACTERS} characters.",
        )
        send_at = OffsetDateTimeField(
            required=False,
            help_text=f"ISO 8601 with its offset, in the future, at most {SCHEDULE_MAX.days} days ahead.",
        )

    OutputSerializer = MessageSerializer

    @extend_schema(
        operation_id="messages_partial_update",
        tags=MESSAGES,
        request=InputSerializer,
        examples=[
            OpenApiExample(
                "Move it and reword it",
                {"message": "See you at 10:30", "sendAt": "2026-12-08T09:30:00-05:00"},
                request_only=True,
            )
        ],
        parameters=[id_parameter("The message's id.")],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404), 409: REFUSED},
    )
    def patch(self, request: Request, pk: int) -> Response:
        message = found_or_404(message_get_for_user(user=request.user, message_id=pk), "Message")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        message = message_schedule_edit(
            message=message, user=staff_member(request), body=values.get("message"), send_at=values.get("send_at")
        )
        return Response(self.OutputSerializer(message).data)


class ScheduledMessageCancelApi(APIView):
    """Cancel a scheduled message (status `canceled`; it is never sent), until it starts sending."""

    OutputSerializer = MessageSerializer

    @extend_schema(
        operation_id="messages_destroy",
        tags=MESSAGES,
        request=None,
        parameters=[id_parameter("The message's id.")],
        responses={
            200: OpenApiResponse(OutputSerializer, description="Canceled: the message as it now is."),
            **error_responses(401, 403, 404),
            409: REFUSED,
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        message = found_or_404(message_get_for_user(user=request.user, message_id=pk), "Message")
        message = message_schedule_cancel(message=message, user=staff_member(request))
        return Response(self.OutputSerializer(message).data)
