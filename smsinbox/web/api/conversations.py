"""The REST API of contacts and conversations: one class per operation, services and selectors underneath.

Every route answers for the caller's organizations only: an id of another organization is
not found (404), on reads and writes alike. Lists and creations act for the caller's
organization, named with ``organizationId`` / ``X-Organization`` by members of several.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.models import Contact, Conversation
from conversations.payloads import (
    ConversationPayload,
    LabelPayload,
    conversation_payload,
    labels_payload,
)
from conversations.selectors import (
    contact_get_for_user,
    contact_list,
    contact_page,
    conversation_get_for_user,
    conversation_page,
    label_list,
)
from conversations.services import (
    UNSET,
    contact_create,
    contact_update,
    conversation_mark_read,
    conversation_update,
)
from messaging.selectors import conversation_list
from messaging.services.erase import contact_erase
from smsinbox.errors import ServiceError
from smsinbox.integrations.keys import key_of
from smsinbox.parsing import MAX_ID
from smsinbox.web.api.errors import error_responses, found_or_404
from smsinbox.web.api.fields import LabelsField, StrictCharField, StrictIntegerField, query_values, search_field
from smsinbox.web.api.organizations import ORGANIZATION_PARAMETERS, organization_for_request
from smsinbox.web.api.pagination import PageQuerySerializer, cursor_load, page_response, page_serializer
from smsinbox.web.api.schema import destroy_schema, id_parameter, list_schema, retrieve_schema
from smsinbox.web.api.shapes import shape_serializer

CONTACTS = ["contacts"]
LabelSerializer = shape_serializer(LabelPayload)  # the nested shape's own class: a Label reads as one
CONVERSATIONS = ["conversations"]


# --- Shapes -------------------------------------------------------------------------------


class ContactSerializer(serializers.Serializer):
    """A contact."""

    id = serializers.IntegerField()
    organization_id = serializers.IntegerField()
    phone = serializers.CharField(help_text="E.164, for example +15551234567.")
    phone_display = serializers.CharField(
        source="display_name_number",
        help_text="The number formatted for people: national in the organization's region, international otherwise.",
    )
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    display_name = serializers.CharField(help_text="The name if known, else the number formatted for people.")
    notes = serializers.CharField(
        help_text="Staff's notes about the person (plain text), as the thread's contact panel shows them."
    )
    opted_out = serializers.BooleanField(source="is_opted_out", help_text="True while they have unsubscribed.")
    opted_out_at = serializers.DateTimeField(allow_null=True)
    opt_out_method = serializers.ChoiceField(choices=Contact.OptOutMethod.choices, allow_blank=True)
    line_type = serializers.ChoiceField(
        choices=Contact.LineType.choices,
        allow_blank=True,
        help_text="What Twilio Lookup said the number is (`landline`: sends are refused); empty: never checked.",
    )
    line_type_checked_at = serializers.DateTimeField(allow_null=True, help_text="When Lookup was last asked.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    labels = serializers.SerializerMethodField(help_text="The contact's labels, by name: `{id, name, color}`.")

    @extend_schema_field(LabelSerializer(many=True))
    def get_labels(self, contact: Contact) -> list[dict[str, Any]]:
        return labels_payload(contact.labels.all())


ConversationSerializer = shape_serializer(ConversationPayload, conversation_payload)


ContactPage = page_serializer(ContactSerializer, "Contacts by last name, first name.")
ConversationPage = page_serializer(ConversationSerializer, "Conversations, newest activity first.")


def _contact_or_404(request: Request, pk: int) -> Contact:
    return found_or_404(contact_get_for_user(user=request.user, contact_id=pk), "Contact")


def conversation_or_404(request: Request, pk: int) -> Conversation:
    """The caller's conversation with this id (the thread's message routes use it too), or the API's 404."""
    return found_or_404(conversation_get_for_user(user=request.user, conversation_id=pk), "Conversation")


# --- Contacts -----------------------------------------------------------------------------


class ContactListApi(APIView):
    """List the organization's contacts, optionally searched by name or by number in any common format."""

    class FilterSerializer(PageQuerySerializer):
        q = search_field("Every word in the first or last name, or a number typed any common way.")

    OutputSerializer = ContactPage

    @list_schema(operation_id="contacts_list", tags=CONTACTS, filters=FilterSerializer, output=OutputSerializer)
    def get(self, request: Request) -> Response:
        filters = query_values(self.FilterSerializer, request)
        organization = organization_for_request(request)
        page = contact_page(
            contact_list(organization=organization, q=filters.get("q", "")),
            cursor=cursor_load("contacts", filters.get("cursor", "")),
            limit=filters["limit"],
        )
        return page_response(request, kind="contacts", page=page, serializer=ContactSerializer)


class ContactCreateApi(APIView):
    """Save a contact. The number is validated and stored in E.164; a number already saved in the
    organization is a 400 naming that contact."""

    class InputSerializer(serializers.Serializer):
        phone = StrictCharField(max_length=64, help_text="Any common format; stored in E.164.")
        first_name = StrictCharField(required=False, allow_blank=True, max_length=100, default="")
        last_name = StrictCharField(required=False, allow_blank=True, max_length=100, default="")
        organization_id = StrictIntegerField(
            required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
        )

    OutputSerializer = ContactSerializer

    @extend_schema(
        operation_id="contacts_create",
        tags=CONTACTS,
        request=InputSerializer,
        examples=[
            OpenApiExample(
                "A number as people type it",
                {"phone": "(415) 555-0123", "firstName": "Maria", "lastName": "Lopez"},
                request_only=True,
            )
        ],
        parameters=ORGANIZATION_PARAMETERS,
        responses={201: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        contact = contact_create(
            organization=organization_for_request(request, values["organization_id"]),
            phone=values["phone"],
            first_name=values["first_name"],
            last_name=values["last_name"],
        )
        return Response(self.OutputSerializer(contact).data, status=status.HTTP_201_CREATED)


class ContactDetailApi(APIView):
    """One contact."""

    OutputSerializer = ContactSerializer

    @retrieve_schema(operation_id="contacts_retrieve", tags=CONTACTS, what="contact", output=OutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.OutputSerializer(_contact_or_404(request, pk)).data)


class ContactUpdateApi(APIView):
    """Rename a contact or correct their number (not once they have a conversation on it)."""

    class InputSerializer(serializers.Serializer):
        phone = StrictCharField(required=False, max_length=64, help_text="Any common format.")
        first_name = StrictCharField(required=False, allow_blank=True, max_length=100)
        last_name = StrictCharField(required=False, allow_blank=True, max_length=100)
        notes = StrictCharField(
            required=False, allow_blank=True, trim_whitespace=False, help_text="Plain text, at most 2000 characters."
        )
        labels = LabelsField()

    OutputSerializer = ContactSerializer

    @extend_schema(
        operation_id="contacts_partial_update",
        tags=CONTACTS,
        request=InputSerializer,
        examples=[OpenApiExample("Rename", {"firstName": "Maria", "lastName": "Lopez-Garcia"}, request_only=True)],
        parameters=[id_parameter("The contact's id.")],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        contact = _contact_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        contact = contact_update(contact=contact, label_ids=values.pop("labels", None), **values)
        contact = _contact_or_404(request, contact.pk)  # its labels as stored
        return Response(self.OutputSerializer(contact).data)


class ContactDeleteApi(APIView):
    """Erase a contact, as `POST /api/contacts/{id}/erase` does: their conversation, messages, notes and media go,
    Twilio's copies are deleted in the background, and an audit entry without content stays. The organization's
    admins only (an agent gets a 403); not open to API keys."""

    @destroy_schema(operation_id="contacts_destroy", tags=CONTACTS, what="contact")
    def delete(self, request: Request, pk: int) -> Response:
        contact = _contact_or_404(request, pk)
        contact_erase(organization=contact.organization, user=request.user, contact=contact)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Conversations ------------------------------------------------------------------------


class ConversationListApi(APIView):
    """List the organization's conversations, newest activity first, filtered and searched."""

    class FilterSerializer(PageQuerySerializer):
        status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
        unread = serializers.BooleanField(
            required=False, help_text="`true`: only with unread messages; `false`: only without."
        )
        assigned = serializers.CharField(
            required=False,
            max_length=19,
            validators=[RegexValidator(r"^(me|unassigned|[1-9][0-9]{0,17})$", "Use me, unassigned or a user id.")],
            help_text="`me`, `unassigned`, or a user id.",
        )
        mentions = serializers.ChoiceField(
            choices=[("me", "me")], required=False, help_text="`me`: only threads with a note that mentions me."
        )
        label = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_ID, help_text="A label's id: only conversations with it."
        )
        q = search_field("A name (every word), a number typed any common way, or text of a message.")

    OutputSerializer = ConversationPage

    @list_schema(
        operation_id="conversations_list", tags=CONVERSATIONS, filters=FilterSerializer, output=OutputSerializer
    )
    def get(self, request: Request) -> Response:
        filters = query_values(self.FilterSerializer, request)
        organization = organization_for_request(request)
        assigned = filters.get("assigned")
        if key_of(request.user) is not None and "me" in (assigned, filters.get("mentions")):
            raise ServiceError("An API key is no staff member: `me` names nobody (use a user id).", field="assigned")
        label = filters.get("label")
        if label is not None and not any(found.pk == label for found in label_list(organization=organization)):
            raise ServiceError(f"Unknown label: {label} (not a label of this organization).", field="label")
        page = conversation_page(
            conversation_list(
                user=request.user,
                organization=organization,
                status=filters.get("status"),
                unread=filters.get("unread"),
                assigned=int(assigned) if assigned and assigned.isdigit() else assigned,
                mentioned=True if filters.get("mentions") == "me" else None,
                label=label,
                q=filters.get("q", ""),
            ),
            cursor=cursor_load("conversations", filters.get("cursor", "")),
            limit=filters["limit"],
        )
        return page_response(request, kind="conversations", page=page, serializer=ConversationSerializer)


class ConversationDetailApi(APIView):
    """One conversation."""

    OutputSerializer = ConversationSerializer

    @retrieve_schema(
        operation_id="conversations_retrieve", tags=CONVERSATIONS, what="conversation", output=OutputSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.OutputSerializer(conversation_or_404(request, pk)).data)


class ConversationUpdateApi(APIView):
    """Close or reopen a conversation, and assign it to a member of its organization (or to nobody)."""

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[(s.value, s.label) for s in Conversation.SETTABLE_STATUSES],
            required=False,
            help_text="Close or reopen (reopening a snoozed conversation ends its snooze; snoozing has its own route).",
        )
        assignee_id = StrictIntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=MAX_ID,
            help_text="An active member of the conversation's organization, or null for nobody.",
        )
        labels = LabelsField()

    OutputSerializer = ConversationSerializer

    @extend_schema(
        operation_id="conversations_partial_update",
        tags=CONVERSATIONS,
        request=InputSerializer,
        examples=[
            OpenApiExample("Close and unassign", {"status": "closed", "assigneeId": None}, request_only=True),
            OpenApiExample("Reopen", {"status": "open"}, request_only=True),
        ],
        parameters=[id_parameter("The conversation's id.")],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        conversation = conversation_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        conversation = conversation_update(
            conversation=conversation,
            status=values.get("status"),
            assignee_id=values.get("assignee_id", UNSET),
            label_ids=values.get("labels"),
            by_user_id=request.user.pk,
        )
        return Response(self.OutputSerializer(conversation_or_404(request, conversation.pk)).data)


class ConversationReadApi(APIView):
    """Mark a conversation read: its unread count goes to zero in every open inbox."""

    OutputSerializer = ConversationSerializer

    @extend_schema(
        operation_id="conversations_read",
        tags=CONVERSATIONS,
        request=None,
        parameters=[id_parameter("The conversation's id.")],
        responses={200: OutputSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = conversation_or_404(request, pk)
        conversation_mark_read(conversation=conversation)
        return Response(self.OutputSerializer(conversation).data)
