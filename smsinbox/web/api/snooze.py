"""Snooze through the API: ``POST /api/conversations/{id}/snooze`` and ``DELETE`` to bring it back.

A snoozed conversation has the status ``snoozed`` and comes back (``open``) when its time comes or the
customer texts, whichever is first (``conversations.snooze``). Another organization's conversation is a 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.snooze import conversation_snooze, conversation_unsnooze
from smsinbox.web.api.conversations import CONVERSATIONS, ConversationSerializer, conversation_or_404
from smsinbox.web.api.errors import error_responses
from smsinbox.web.api.fields import StrictCharField
from smsinbox.web.api.schema import id_parameter


class _StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false`` only (not ``"yes"`` or ``1``)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class ConversationSnoozeApi(APIView):
    """Snooze a conversation until a time, or until the customer replies; a text from them wakes it first.

    Snoozing a snoozed conversation changes when it comes back. A time in the past, one without an offset,
    or neither (or both) of `until` and `untilReply` is a 400."""

    class InputSerializer(serializers.Serializer):
        until = StrictCharField(
            required=False, max_length=64, help_text="ISO 8601 with an offset, in the future, within a year."
        )
        until_reply = _StrictBooleanField(required=False, default=False, help_text="Snooze until the customer texts.")

        def validate_until(self, value: str) -> datetime:
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                raise serializers.ValidationError("Write the time in ISO 8601, with its offset.") from None

    OutputSerializer = ConversationSerializer

    @extend_schema(
        operation_id="conversations_snooze",
        tags=CONVERSATIONS,
        request=InputSerializer,
        examples=[
            OpenApiExample("Until a time", {"until": "2026-12-08T09:00:00-05:00"}, request_only=True),
            OpenApiExample("Until the customer replies", {"untilReply": True}, request_only=True),
        ],
        parameters=[id_parameter("The conversation's id.")],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = conversation_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        conversation = conversation_snooze(
            conversation=conversation, user=request.user, until=values.get("until"), until_reply=values["until_reply"]
        )
        return Response(self.OutputSerializer(conversation).data)


class ConversationUnsnoozeApi(APIView):
    """Bring a snoozed conversation back now (open). A conversation that is not snoozed is left as it is."""

    OutputSerializer = ConversationSerializer

    @extend_schema(
        operation_id="conversations_unsnooze",
        tags=CONVERSATIONS,
        request=None,
        parameters=[id_parameter("The conversation's id.")],
        responses={200: OpenApiResponse(OutputSerializer), **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        conversation = conversation_or_404(request, pk)
        # the instance is the row as it now is
        conversation_unsnooze(conversation=conversation, by_user_id=request.user.pk)
        return Response(self.OutputSerializer(conversation).data)
