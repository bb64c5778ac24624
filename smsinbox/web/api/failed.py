"""Failed sends through the API: list them (``GET /api/messages/failed``) and retry them (``POST /api/messages/retry``).

Both act for the caller's organization (``organizationId`` for members of several); an id of another
organization is skipped as not found, exactly like an id of no message.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.error_codes import error_action, error_is_retryable, error_meaning
from messaging.models import Message
from messaging.selectors import failed_message_page
from messaging.services.retry import MAX_RETRY_IDS, messages_retry
from smsinbox.parsing import MAX_ID
from smsinbox.web.api.errors import error_responses
from smsinbox.web.api.fields import StrictIntegerField, query_values
from smsinbox.web.api.keys import staff_member
from smsinbox.web.api.organizations import ORGANIZATION_PARAMETERS, organization_for_request
from smsinbox.web.api.pagination import PageQuerySerializer, cursor_load, page_response, page_serializer

MESSAGES = ["messages"]


class RetryInput(serializers.Serializer):
    message_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_RETRY_IDS,
        help_text=f"The failed messages to send again (1 to {MAX_RETRY_IDS}).",
    )
    organization_id = StrictIntegerField(
        required=False, allow_null=True, default=None, help_text="For members of several organizations."
    )


class RetriedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The failed message.")
    new_id = serializers.IntegerField(help_text="The new message that resends it (its `retryOf` is `id`).")


class RetrySkipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField(
        help_text="`not_found`, `not_failed`, `not_retryable` (the code is a permanent refusal such as 21610 or "
        "21211), `opted_out`, `already_retried` (a retry is on its way or delivered), or a send refusal's code."
    )
    code = serializers.IntegerField(allow_null=True, help_text="The failed message's Twilio error code.")
    message = serializers.CharField(help_text="The reason, for people.")


class RetryOutput(serializers.Serializer):
    retried = RetriedSerializer(many=True)
    skipped = RetrySkipSerializer(many=True)


class MessagesRetryApi(APIView):
    """Send failed messages again, each as a new message with the original's text and media, through the
    normal delivery pipeline; those whose error code refuses a resend are skipped with the reason."""

    InputSerializer = RetryInput
    OutputSerializer = RetryOutput

    @extend_schema(
        operation_id="messages_retry",
        tags=MESSAGES,
        request=InputSerializer,
        examples=[OpenApiExample("Retry two", {"messageIds": [41, 42]}, request_only=True)],
        parameters=ORGANIZATION_PARAMETERS,
        responses={
            200: OpenApiResponse(OutputSerializer, description="What was retried and what was skipped, and why."),
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organization = organization_for_request(request, values["organization_id"])
        user = staff_member(request)
        result = messages_retry(organization=organization, user=user, message_ids=values["message_ids"])
        return Response(self.OutputSerializer(result).data)


class FailedMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    contact_id = serializers.IntegerField(source="conversation.contact_id")
    contact_name = serializers.CharField(source="conversation.contact.display_name")
    to_number = serializers.CharField()
    body = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    error_code = serializers.IntegerField(allow_null=True)
    error_meaning = serializers.SerializerMethodField()
    error_action = serializers.SerializerMethodField(help_text="What staff can do about it.")
    retryable = serializers.SerializerMethodField(help_text="Whether the code allows a retry.")
    retried = serializers.BooleanField(help_text="A retry of this message exists.")

    def get_error_meaning(self, m: Message) -> str:
        return m.error_message or error_meaning(m.error_code)

    def get_error_action(self, m: Message) -> str:
        return error_action(m.error_code)

    def get_retryable(self, m: Message) -> bool:
        return error_is_retryable(m.error_code)


class FailedQuerySerializer(PageQuerySerializer):
    code = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=999_999_999,
        help_text="Only this error code (0: no code).",
    )


class FailedMessageListApi(APIView):
    """The organization's failed and undelivered sends, newest first, with each error's meaning and advice."""

    FilterSerializer = FailedQuerySerializer
    OutputSerializer = page_serializer(FailedMessageSerializer, "Failed sends, newest first.")

    @extend_schema(
        operation_id="messages_failed_list",
        tags=MESSAGES,
        parameters=[FilterSerializer, *ORGANIZATION_PARAMETERS],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        query = query_values(self.FilterSerializer, request)
        organization = organization_for_request(request)
        page = failed_message_page(
            organization=organization,
            code=query["code"],
            cursor=cursor_load("failed", query.get("cursor", "")),
            limit=query["limit"],
        )
        return page_response(request, kind="failed", page=page, serializer=FailedMessageSerializer)
