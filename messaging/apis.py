"""Sending through the API: ``POST /api/sms/send`` (the seed's route) and replies in a thread."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.selectors import contact_get_for_user, conversation_get_for_user
from messaging.services.outbound import SendResult, message_send
from smsinbox.api import organization_for_request
from smsinbox.errors import ServiceError


class SendInput(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    media_urls = serializers.ListField(child=serializers.CharField(max_length=2000), required=False, default=list)
    idempotency_key = serializers.CharField(required=False, allow_null=True, default=None, max_length=255)


class SendOutput(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    message_id = serializers.IntegerField(source="message.pk")
    conversation_id = serializers.IntegerField(source="message.conversation_id")
    status = serializers.CharField(source="message.status")


def _idempotency_key(request: Request, data: dict[str, Any]) -> str | None:
    return data.get("idempotency_key") or request.headers.get("Idempotency-Key") or None


def _respond(result: SendResult) -> Response:
    body = SendOutput(result).data
    return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class SmsSendApi(APIView):
    """Send an SMS/MMS to a contact: stored at once, handed to Twilio by a worker."""

    class InputSerializer(SendInput):
        contact_id = serializers.IntegerField(required=False, allow_null=True, default=None)
        organization_id = serializers.IntegerField(required=False, allow_null=True, default=None)

    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["contact_id"] is None:
            raise ServiceError("Missing required fields: contactId and message", field="contactId")
        organization = organization_for_request(request, values["organization_id"])
        contact = contact_get_for_user(user=request.user, organization=organization, contact_id=values["contact_id"])
        if contact is None:
            raise ServiceError("Contact not found.", code="not_found", field="contactId")
        result = message_send(
            organization=organization,
            sender=request.user,
            contact=contact,
            body=values["message"],
            media_urls=values["media_urls"],
            idempotency_key=_idempotency_key(request, values),
        )
        return _respond(result)


class ConversationReplyApi(APIView):
    """Reply in a thread (``POST /api/conversations/{id}/messages``), through the same service."""

    InputSerializer = SendInput

    def post(self, request: Request, pk: int) -> Response:
        conversation = conversation_get_for_user(user=request.user, conversation_id=pk)
        if conversation is None:
            raise ServiceError("Conversation not found.", code="not_found")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = message_send(
            organization=conversation.organization,
            sender=request.user,
            contact=conversation.contact,
            body=values["message"],
            media_urls=values["media_urls"],
            idempotency_key=_idempotency_key(request, values),
        )
        return _respond(result)
