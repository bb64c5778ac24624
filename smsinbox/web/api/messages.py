"""Messages through the API: sending (``POST /api/sms/send``, the seed's route), replies and reading a thread
(its messages and private notes, each item with its ``kind``).

Every route answers for the caller's organizations only: an id of another organization is a 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.activity import ActivityPayload, activity_payload
from conversations.payloads import user_name
from conversations.selectors import contact_get_for_user
from messaging.models import Message, MessageEvent
from messaging.payloads import MessagePayload, message_payload
from messaging.segments import MAX_BODY_CHARACTERS, MAX_MEDIA
from messaging.selectors import message_get_for_user, thread_page
from messaging.services.guard import AssignedToOther, ConversationChanged
from messaging.services.outbound import SendResult, message_send
from messaging.services.schedule import SCHEDULE_MAX
from smsinbox.errors import ServiceError
from smsinbox.web.api.conversations import conversation_or_404
from smsinbox.web.api.errors import ErrorSerializer, error_responses, found_or_404, refusal_details
from smsinbox.web.api.fields import (
    OffsetDateTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    query_values,
)
from smsinbox.web.api.keys import staff_member
from smsinbox.web.api.notes import NoteSerializer
from smsinbox.web.api.organizations import ORGANIZATION_PARAMETERS, organization_for_request
from smsinbox.web.api.pagination import PageQuerySerializer, cursor_load, page_response
from smsinbox.web.api.schema import id_parameter, retrieve_schema
from smsinbox.web.api.shapes import shape_serializer

MESSAGES = ["messages"]

IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Like `idempotencyKey`: a repeat with the same key returns the first message (200) and sends nothing.",
)


class SendInput(serializers.Serializer):
    message = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        default="",
        help_text=f"The text (up to {MAX_BODY_CHARACTERS} characters); may be empty when `mediaUrls` is not.",
    )
    media_urls = serializers.ListField(
        child=StrictCharField(max_length=2000),
        required=False,
        default=list,
        help_text=f"Up to {MAX_MEDIA} public http(s) URLs of images to send as MMS.",
    )
    attachment_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1),
        required=False,
        default=list,
        max_length=MAX_MEDIA,
        help_text="Files uploaded to this conversation in the composer (`POST /c/{id}/attachments/`), sent as MMS "
        "media after `mediaUrls`: together at most 5 MB; each can be sent once.",
    )
    idempotency_key = StrictCharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=255,
        help_text="A repeat with the same key returns the first message and sends nothing.",
    )
    last_seen_message_id = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text="The send guard: the id of the newest message the sender had on screen (0: none). If the "
        "conversation has a newer inbound message, or a newer outbound one sent by someone else, the send is "
        "refused (409, `conversation_changed`, with `newer`). Omitted: no check.",
    )
    confirm = StrictBooleanField(
        required=False, default=False, help_text="Send even if the conversation changed (skips the send guard)."
    )
    take_over = StrictBooleanField(
        required=False,
        default=False,
        help_text="Assign the conversation to yourself and send, when only its assignee may reply "
        "(409, `assigned_to_other`).",
    )
    from_number_id = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="The id of the organization's number to send from, when it has several (a conversation's "
        "`phoneNumberId` names the one it uses); the conversation then texts from it. Omitted: the conversation's "
        "number, the one the customer last texted (sticky sender).",
    )
    send_at = OffsetDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=f"Send later: ISO 8601 with its offset, in the future, at most {SCHEDULE_MAX.days} days ahead. "
        "Stored at once with status `scheduled`; edit or cancel it with `PATCH`/`DELETE /api/messages/{id}/` until "
        "it starts sending. Omitted: sent now.",
    )


class SendOutput(serializers.Serializer):
    success = serializers.BooleanField(read_only=True, default=True)
    message_id = serializers.IntegerField(source="message.pk")
    conversation_id = serializers.IntegerField(source="message.conversation_id")
    status = serializers.CharField(
        source="message.status",
        help_text="`pending` until a worker hands it to Twilio; `scheduled` when sent with `sendAt`.",
    )


MessageSerializer = shape_serializer(MessagePayload, message_payload)


class MessageItemSerializer(MessageSerializer):
    """A message among a thread's items: the message, with its ``kind``."""

    kind = serializers.ChoiceField(choices=[("message", "message")], help_text="Always `message`.")

    def more(self, instance: Message) -> dict[str, Any]:
        return {"kind": "message"}


class SendRefusalSerializer(ErrorSerializer):
    """A refused send (409): `opted_out`; `landline`; `conversation_changed` with `newer` (and who wrote them in
    `senderNames`); or `assigned_to_other` with the assignee."""

    newer = MessageItemSerializer(
        many=True,
        required=False,
        help_text="`conversation_changed`: the messages newer than `lastSeenMessageId` that refused the send "
        "(the newest 20, oldest first), shaped as the thread listing gives them.",
    )
    newer_count = serializers.IntegerField(required=False, help_text="`conversation_changed`: how many there are.")
    sender_names = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="`conversation_changed`: the name of each `sentById` of `newer`, by id.",
    )
    assignee_id = serializers.IntegerField(required=False, help_text="`assigned_to_other`: who may reply.")
    assignee_name = serializers.CharField(required=False, help_text="`assigned_to_other`: their name.")


@refusal_details(ConversationChanged)
def _newer(exc: ConversationChanged) -> dict[str, Any]:
    names = {str(m.sent_by_id): user_name(m.sent_by) for m in exc.newer if m.sent_by is not None}
    return {"newer": MessageItemSerializer(exc.newer, many=True).data, "newer_count": exc.count, "sender_names": names}


@refusal_details(AssignedToOther)
def _assignee(exc: AssignedToOther) -> dict[str, Any]:
    return {"assignee_id": exc.assignee_id, "assignee_name": exc.assignee_name}


SEND_RESPONSES = {
    201: OpenApiResponse(SendOutput, description="Stored and queued for delivery (or scheduled, with `sendAt`)."),
    200: OpenApiResponse(SendOutput, description="A repeat of an earlier send with the same idempotency key."),
    **error_responses(400, 401, 403, 404),
    409: OpenApiResponse(
        SendRefusalSerializer,
        description="Refused: the contact opted out (`opted_out`), Twilio Lookup said the number is a landline "
        "(`landline`: Twilio would fail the send with 30006), the conversation changed since "
        "`lastSeenMessageId` (`conversation_changed`, nothing stored or sent; send again with `confirm`), or "
        "only its assignee may reply (`assigned_to_other`; send again with `takeOver`).",
    ),
}


def _idempotency_key(request: Request, data: dict[str, Any]) -> str | None:
    return data.get("idempotency_key") or request.headers.get("Idempotency-Key") or None


def _guard(values: dict[str, Any]) -> dict[str, Any]:
    """The send guard's and reply rules' arguments of ``message_send``."""
    return {
        "last_seen_message_id": values["last_seen_message_id"],
        "confirm": values["confirm"],
        "take_over": values["take_over"],
    }


def _respond(result: SendResult) -> Response:
    body = SendOutput(result).data
    return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class SmsSendApi(APIView):
    """Send an SMS/MMS to a contact: stored at once, handed to Twilio by a worker."""

    class InputSerializer(SendInput):
        contact_id = StrictIntegerField(required=False, allow_null=True, default=None, help_text="Required.")
        organization_id = StrictIntegerField(
            required=False, allow_null=True, default=None, help_text="For members of several organizations."
        )

    OutputSerializer = SendOutput

    @extend_schema(
        operation_id="sms_send",
        tags=MESSAGES,
        request=InputSerializer,
        examples=[
            OpenApiExample("SMS", {"contactId": 1, "message": "Your table is ready"}, request_only=True),
            OpenApiExample(
                "Send later",
                {
                    "contactId": 1,
                    "message": "Reminder: your appointment is at 10",
                    "sendAt": "2026-12-08T09:00:00-05:00",
                },
                request_only=True,
            ),
            OpenApiExample(
                "MMS, sent once however often it is retried",
                {"contactId": 1, "message": "", "mediaUrls": ["https://example.com/menu.png"], "idempotencyKey": "k-1"},
                request_only=True,
            ),
        ],
        parameters=[IDEMPOTENCY_KEY_HEADER, *ORGANIZATION_PARAMETERS],
        responses=SEND_RESPONSES,
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["contact_id"] is None:
            raise ServiceError("Missing required fields: contactId and message", field="contactId")
        organization = organization_for_request(request, values["organization_id"])
        contact = found_or_404(
            contact_get_for_user(user=request.user, organization=organization, contact_id=values["contact_id"]),
            "Contact",
            field="contactId",
        )
        result = message_send(
            organization=organization,
            sender=staff_member(request),
            contact=contact,
            body=values["message"],
            media_urls=values["media_urls"],
            attachment_ids=values["attachment_ids"],
            idempotency_key=_idempotency_key(request, values),
            send_at=values["send_at"],
            from_number_id=values["from_number_id"],
            **_guard(values),
        )
        return _respond(result)


class ConversationReplyApi(APIView):
    """Reply in a thread (``POST /api/conversations/{id}/messages``), through the same service."""

    InputSerializer = SendInput
    OutputSerializer = SendOutput

    @extend_schema(
        operation_id="conversations_messages_create",
        tags=MESSAGES,
        request=InputSerializer,
        examples=[
            OpenApiExample("Reply", {"message": "On our way!"}, request_only=True),
            OpenApiExample(
                "Reply, guarded against a colleague's reply",
                {"message": "On our way!", "lastSeenMessageId": 41, "idempotencyKey": "k-2"},
                request_only=True,
            ),
        ],
        parameters=[id_parameter("The conversation's id."), IDEMPOTENCY_KEY_HEADER],
        responses=SEND_RESPONSES,
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = conversation_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = message_send(
            organization=conversation.organization,
            sender=staff_member(request),
            contact=conversation.contact,
            body=values["message"],
            media_urls=values["media_urls"],
            attachment_ids=values["attachment_ids"],
            idempotency_key=_idempotency_key(request, values),
            send_at=values["send_at"],
            from_number_id=values["from_number_id"],
            **_guard(values),
        )
        return _respond(result)


# --- Reading messages -----------------------------------------------------------------------


class MessageEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_type = serializers.ChoiceField(choices=MessageEvent.Type.choices)
    status = serializers.CharField(help_text="As reported, even if unknown to us.")
    error_code = serializers.IntegerField(allow_null=True)
    error_message = serializers.CharField()
    payload = serializers.DictField(help_text="The raw fields of the callback or attempt.")
    created_at = serializers.DateTimeField()


class MessageDetailSerializer(MessageSerializer):
    """A message with its media and its audit trail of events (callbacks, send attempts, opt-outs…)."""

    events = MessageEventSerializer(many=True, help_text="Oldest first.")

    def more(self, instance: Message) -> dict[str, Any]:
        return {"events": MessageEventSerializer(instance.events.all(), many=True).data}


# A stored change of the conversation in its thread (``conversations.activity``): assigned, closed, labelled…
ActivitySerializer = shape_serializer(ActivityPayload, activity_payload)


class ThreadItemSerializer(serializers.Serializer):
    """One item of a thread: a message (``kind: "message"``), a private note (``kind: "note"``) or an activity
    event (``kind: "event"``)."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if getattr(instance, "is_note", False):
            return NoteSerializer(instance).data
        if getattr(instance, "is_event", False):
            return ActivitySerializer(instance).data
        return MessageItemSerializer(instance).data


class ThreadPage(serializers.Serializer):
    """One page of a thread's items (the schema; ``page_response`` renders it with ``ThreadItemSerializer``)."""

    results = PolymorphicProxySerializer(
        component_name="ThreadItem",
        serializers={"message": MessageItemSerializer, "note": NoteSerializer, "event": ActivitySerializer},
        resource_type_field_name="kind",
        many=True,
        help_text="Messages, private notes and activity events (assigned, closed, labelled, snoozed, opted out…) in "
        "time order, oldest first (a message before a note before an event of the same moment). The first page holds "
        "the newest items; `nextCursor` loads the older ones before them.",
    )
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next page; `null` on the last page."
    )
    next = serializers.CharField(allow_null=True, help_text="The next page's URL; `null` on the last page.")


class ConversationMessageListApi(APIView):
    """A thread's messages, private notes and activity events (``kind``), oldest first on each page; the first page
    is the newest, the next ones go back in time."""

    FilterSerializer = PageQuerySerializer
    OutputSerializer = ThreadPage

    @extend_schema(
        operation_id="conversations_messages_list",
        tags=MESSAGES,
        parameters=[id_parameter("The conversation's id."), FilterSerializer],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        conversation = conversation_or_404(request, pk)
        query = query_values(self.FilterSerializer, request)
        page = thread_page(
            conversation=conversation,
            before=cursor_load("messages", query.get("cursor", "")),  # a message's position is as it always was
            limit=query["limit"],
        )
        return page_response(request, kind="messages", page=page, serializer=ThreadItemSerializer)


class MessageDetailApi(APIView):
    """One message with its media and its events."""

    OutputSerializer = MessageDetailSerializer

    @retrieve_schema(operation_id="messages_retrieve", tags=MESSAGES, what="message", output=OutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        message = found_or_404(message_get_for_user(user=request.user, message_id=pk), "Message")
        return Response(self.OutputSerializer(message).data)
