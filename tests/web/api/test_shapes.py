"""Payload shapes declared once: the builders return exactly their declaration, the API's serializers (and
so its schema) are generated from it, and the API and the live events say the same thing in the same case."""

from __future__ import annotations

from typing import Annotated, TypedDict

import pytest
from django.test import Client
from rest_framework import serializers

from conversations.models import Conversation
from conversations.payloads import ConversationPayload, conversation_payload
from messaging.models import Message
from messaging.payloads import (
    InboxMessagePayload,
    MessageMediaPayload,
    MessagePayload,
    MessageStatusPayload,
    message_payload,
    message_status_payload,
)
from smsinbox.casing import camelize
from smsinbox.shapes import Field, Timestamp, shape_fields
from smsinbox.web.api.conversations import ConversationSerializer
from smsinbox.web.api.messages import MessageDetailSerializer, MessageSerializer
from smsinbox.web.api.shapes import shape_serializer
from tests.api_client import ApiClient, build_tenant


@pytest.fixture
def tenant(org_a):
    return build_tenant(org_a, Client(), contact_phone="+14155550101", spare_phone="+14155550102")


def test_each_builder_returns_its_declared_shape_in_order(tenant):
    conversation = Conversation.objects.select_related("contact", "assignee").get(pk=tenant.conversation.pk)
    assert list(conversation_payload(conversation)) == list(shape_fields(ConversationPayload))
    for message in (tenant.inbound, tenant.outbound):
        message = Message.objects.select_related("sent_by").get(pk=message.pk)
        payload = message_payload(message)
        assert list(payload) == list(shape_fields(InboxMessagePayload))
        assert list(shape_fields(InboxMessagePayload))[: len(shape_fields(MessagePayload))] == list(
            shape_fields(MessagePayload)
        )
        assert all(list(media) == list(shape_fields(MessageMediaPayload)) for media in payload["media"])
        assert list(message_status_payload(message)) == list(shape_fields(MessageStatusPayload))
    assert message_payload(tenant.inbound)["media"]  # the MMS: its media were checked above


def test_the_api_serializers_are_the_shapes():
    assert list(ConversationSerializer().fields) == list(shape_fields(ConversationPayload))
    assert list(MessageSerializer().fields) == list(shape_fields(MessagePayload))
    assert list(MessageDetailSerializer().fields) == [*shape_fields(MessagePayload), "events"]
    media = MessageSerializer().fields["media"]
    assert isinstance(media, serializers.ListSerializer)
    assert list(media.child.fields) == list(shape_fields(MessageMediaPayload))
    assert type(media.child).__name__ == "MessageMediaSerializer"
    assert MessageSerializer.__doc__ == MessagePayload.__doc__


def test_the_api_and_the_live_events_carry_the_same_keys_and_values(tenant):
    api = ApiClient(tenant.setup.user)
    conversation = Conversation.objects.select_related("contact", "assignee").get(pk=tenant.conversation.pk)
    assert api.get(f"/api/conversations/{conversation.pk}/").json() == camelize(conversation_payload(conversation))
    for message in (tenant.inbound, tenant.outbound):
        message = Message.objects.select_related("sent_by").get(pk=message.pk)
        body = api.get(f"/api/messages/{message.pk}/").json()
        live = camelize(message_payload(message))
        assert set(live) - set(body) == {"sentByName", "idempotencyKey", "retryable"}  # what only the live inbox needs
        assert {key: body[key] for key in body if key != "events"} == {key: live[key] for key in body if key in live}


class _Inner(TypedDict):
    """A nested shape."""

    n: int


class _Everything(TypedDict):
    """A shape with a field of every kind."""

    count: Annotated[int, Field("How many.", min_value=0)]
    maybe: int | None
    flag: bool
    text: str
    blank: Annotated[str, Field(allow_blank=True)]
    when: Timestamp
    when_maybe: Annotated[Timestamp | None, Field("Perhaps.")]
    kind: Annotated[str, Field(choices=[("a", "A"), ("b", "B")], allow_blank=True)]
    items: list[_Inner]


def test_a_field_added_to_a_shape_is_in_its_serializer():
    serializer = shape_serializer(_Everything, lambda obj: obj)
    fields = serializer().fields
    assert serializer.__name__ == "_EverythingSerializer"
    assert serializer.__doc__ == "A shape with a field of every kind."
    assert isinstance(fields["count"], serializers.IntegerField)
    assert (fields["count"].min_value, fields["count"].help_text) == (0, "How many.")
    assert fields["maybe"].allow_null
    assert not fields["count"].allow_null
    assert isinstance(fields["flag"], serializers.BooleanField)
    assert isinstance(fields["text"], serializers.CharField)
    assert not fields["text"].allow_blank
    assert fields["blank"].allow_blank
    assert isinstance(fields["when"], serializers.DateTimeField)
    assert not fields["when"].allow_null
    assert fields["when_maybe"].allow_null
    assert fields["when_maybe"].help_text == "Perhaps."
    assert isinstance(fields["kind"], serializers.ChoiceField)
    assert fields["kind"].allow_blank
    assert list(fields["kind"].choices) == ["a", "b"]
    assert isinstance(fields["items"], serializers.ListSerializer)
    assert list(fields["items"].child.fields) == ["n"]
    row = {
        "count": 1, "maybe": None, "flag": True, "text": "t", "blank": "", "when": "2026-01-01T00:00:00+00:00",
        "when_maybe": None, "kind": "a", "items": [{"n": 1}], "not_declared": "dropped",
    }  # fmt: skip
    assert serializer(row).data == {key: value for key, value in row.items() if key != "not_declared"}


def test_a_field_of_a_type_the_api_cannot_say_is_refused():
    class Odd(TypedDict):
        ratio: float

    class Ambiguous(TypedDict):
        either: int | str

    for shape in (Odd, Ambiguous):
        with pytest.raises(TypeError):
            shape_serializer(shape, lambda obj: obj)
