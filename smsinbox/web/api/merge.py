"""Merge and erase contacts through the API.

``POST /api/contacts/{id}/merge`` with ``{"into": <id>}`` merges contact ``id`` into contact ``into``
(``conversations.merge.contact_merge``): any member may. ``POST /api/contacts/{id}/erase`` erases contact
``id`` and everything of theirs (``messaging.services.erase.contact_erase``): the organization's admins only
(others: 403, ``code`` ``forbidden``). Both act as a staff member, so organization API keys cannot use them.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.merge import contact_merge
from conversations.models import ContactErasure
from conversations.selectors import contact_get_for_user
from messaging.services.erase import contact_erase
from smsinbox.parsing import MAX_ID
from smsinbox.web.api.conversations import CONTACTS, ContactSerializer
from smsinbox.web.api.errors import error_responses, found_or_404
from smsinbox.web.api.fields import StrictIntegerField
from smsinbox.web.api.schema import id_parameter


class ContactMergeApi(APIView):
    """Merge this contact into another of the same organization (the same person on another number).

    Their conversations become the other contact's one conversation (messages, notes, labels moved; labels on
    both kept once); an opt-out of either is kept; this contact's number keeps reaching the kept contact (texts
    from it land in the kept conversation). Answers the kept contact. Merging a contact into itself, or into a
    contact of another organization, is a 400; audited (who, when)."""

    class InputSerializer(serializers.Serializer):
        into = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="The id of the contact to keep.")

    OutputSerializer = ContactSerializer

    @extend_schema(
        operation_id="contacts_merge",
        tags=CONTACTS,
        request=InputSerializer,
        examples=[OpenApiExample("Into the contact kept", {"into": 42}, request_only=True)],
        parameters=[id_parameter("The id of the contact merged (it ends).")],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        merged = found_or_404(contact_get_for_user(user=request.user, contact_id=pk), "Contact")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kept = found_or_404(
            contact_get_for_user(user=request.user, contact_id=data.validated_data["into"]), "Contact", field="into"
        )
        kept = contact_merge(organization=merged.organization, user=request.user, keep=kept, merge=merged)
        kept = found_or_404(contact_get_for_user(user=request.user, contact_id=kept.pk), "Contact")  # with labels
        return Response(self.OutputSerializer(kept).data)


class ErasureSerializer(serializers.Serializer):
    """What an erasure removed: counts only, no content."""

    id = serializers.IntegerField()
    organization_id = serializers.IntegerField()
    erased_contact_id = serializers.IntegerField()
    erased_by_id = serializers.IntegerField(allow_null=True)
    erased_at = serializers.DateTimeField()
    removed = serializers.DictField(child=serializers.IntegerField(), help_text="Rows deleted, by model.")
    media_files_removed = serializers.IntegerField()
    webhook_events_removed = serializers.IntegerField()
    twilio_status = serializers.ChoiceField(
        choices=ContactErasure.TwilioStatus.choices, help_text="Twilio's copies are deleted in the background."
    )


class ContactEraseApi(APIView):
    """Erase a contact for good (a person's request): the contact, their conversation, messages, notes, labels,
    merged numbers, cached media and the outgoing webhook events that name them; Twilio's copies of the
    messages are deleted in the background. Cannot be undone. The organization's admins only. Answers the
    audit entry, which holds counts and no content."""

    OutputSerializer = ErasureSerializer

    @extend_schema(
        operation_id="contacts_erase",
        tags=CONTACTS,
        request=None,
        parameters=[id_parameter("The contact's id.")],
        responses={200: OutputSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        contact = found_or_404(contact_get_for_user(user=request.user, contact_id=pk), "Contact")
        erasure = contact_erase(organization=contact.organization, user=request.user, contact=contact)
        return Response(self.OutputSerializer(erasure).data)
