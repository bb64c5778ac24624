"""Canned replies through the API: ``GET``/``POST /api/canned-replies/``, ``GET``/``PATCH``/``DELETE
/api/canned-replies/{id}/``.

A caller sees the shared replies of their organization and their own personal ones; any other id is a
404. Shared replies are written by the organization's admins only (others get a 403, ``code: forbidden``).
``GET /api/canned-replies/?conversation=<id>`` adds ``rendered`` to each reply: its body with the variables
filled for that conversation's contact, the caller and the organization (``conversations.canned``, the one
place that rule lives; the composer's picker inserts exactly this text).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.canned import CannedReplyPayload, canned_reply_payload, render_body, variable_values
from conversations.canned_services import canned_reply_create, canned_reply_delete, canned_reply_update
from conversations.models import (
    CANNED_BODY_MAX_LENGTH,
    CANNED_NAME_MAX_LENGTH,
    CANNED_SHORTCUT_MAX_LENGTH,
    CannedReply,
)
from conversations.selectors import canned_reply_get_for_user, canned_reply_list_for_user, conversation_get_for_user
from smsinbox.parsing import MAX_ID
from smsinbox.web.api.errors import error_responses, found_or_404
from smsinbox.web.api.fields import StrictCharField, StrictIntegerField, query_values
from smsinbox.web.api.organizations import ORGANIZATION_PARAMETERS, organization_for_request
from smsinbox.web.api.schema import destroy_schema, id_parameter, retrieve_schema
from smsinbox.web.api.shapes import shape_serializer

CANNED = ["canned replies"]

CannedReplySerializer = shape_serializer(CannedReplyPayload, canned_reply_payload)


class RenderedCannedReplySerializer(CannedReplySerializer):  # type: ignore[misc, valid-type]
    """A canned reply, with its body filled in for the conversation the list was asked for."""

    rendered = serializers.CharField(
        allow_null=True,
        help_text="With `?conversation=`: the body with its variables filled in for that conversation (what the "
        "composer inserts; placeholders stay). Otherwise null.",
    )

    def more(self, instance: CannedReply) -> dict[str, Any]:
        values = self.context.get("values")
        return {"rendered": render_body(instance.body, values) if values is not None else None}


class CannedReplyListSerializer(serializers.Serializer):
    """The caller's canned replies: the organization's shared ones and their own, by shortcut."""

    results = RenderedCannedReplySerializer(many=True)


def _reply_or_404(request: Request, pk: int) -> CannedReply:
    return found_or_404(canned_reply_get_for_user(user=request.user, reply_id=pk), "Canned reply")


class CannedReplyListApi(APIView):
    """List the canned replies the caller may insert; with `conversation`, each filled in for that thread."""

    class FilterSerializer(serializers.Serializer):
        conversation = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=MAX_ID,
            help_text="A conversation's id: its organization's replies, each with `rendered` for its contact.",
        )

    OutputSerializer = CannedReplyListSerializer

    @extend_schema(
        operation_id="canned_replies_list",
        tags=CANNED,
        parameters=[FilterSerializer, *ORGANIZATION_PARAMETERS],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        query = query_values(self.FilterSerializer, request)
        values = None
        if "conversation" in query:
            conversation = found_or_404(
                conversation_get_for_user(user=request.user, conversation_id=query["conversation"]),
                "Conversation",
                field="conversation",
            )
            organization = conversation.organization
            values = variable_values(contact=conversation.contact, user=request.user, organization=organization)
        else:
            organization = organization_for_request(request)
        replies = canned_reply_list_for_user(user=request.user, organization=organization)
        data = RenderedCannedReplySerializer(replies, many=True, context={"values": values}).data
        return Response({"results": data})


class _WriteFields(serializers.Serializer):
    name = StrictCharField(max_length=CANNED_NAME_MAX_LENGTH, allow_blank=True, help_text="What staff see in lists.")
    shortcut = StrictCharField(
        max_length=CANNED_SHORTCUT_MAX_LENGTH + 1,  # a leading "/" is allowed, and dropped
        allow_blank=True,
        help_text="Typed after / in the composer: lower-case letters, digits, - and _ (stored lower-case).",
    )
    body = StrictCharField(
        max_length=CANNED_BODY_MAX_LENGTH,
        allow_blank=True,  # a blank body is refused by the service, with its own words
        trim_whitespace=False,
        help_text="Plain text. `{{contact.first_name|there}}`: a variable with its fallback when empty "
        "(contact.first_name, contact.last_name, contact.name, user.first_name, user.name, organization.name); "
        "`[[time]]`: a placeholder typed by hand before sending.",
    )
    shared = serializers.BooleanField(
        help_text="True: shared with the organization (its admins only); false: the caller's own."
    )


class CannedReplyCreateApi(APIView):
    """Save a canned reply: personal, or shared with the organization (admins only)."""

    class InputSerializer(_WriteFields):
        shared = serializers.BooleanField(
            required=False, default=False, help_text="True: shared with the organization (its admins only)."
        )
        organization_id = StrictIntegerField(
            required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
        )

    OutputSerializer = CannedReplySerializer

    @extend_schema(
        operation_id="canned_replies_create",
        tags=CANNED,
        request=InputSerializer,
        examples=[
            OpenApiExample(
                "A shared reply",
                {
                    "name": "Opening hours",
                    "shortcut": "hours",
                    "body": "Hi {{contact.first_name|there}}, your slot is [[time]]. {{user.first_name}}",
                    "shared": True,
                },
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
        organization = organization_for_request(request, values["organization_id"])
        reply = canned_reply_create(
            organization=organization,
            actor=request.user,
            name=values["name"],
            shortcut=values["shortcut"],
            body=values["body"],
            shared=values["shared"],
        )
        return Response(self.OutputSerializer(reply).data, status=status.HTTP_201_CREATED)


class CannedReplyDetailApi(APIView):
    """One canned reply: a shared one of the caller's organization, or their own."""

    OutputSerializer = CannedReplySerializer

    @retrieve_schema(operation_id="canned_replies_retrieve", tags=CANNED, what="canned reply", output=OutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.OutputSerializer(_reply_or_404(request, pk)).data)


class CannedReplyUpdateApi(APIView):
    """Change a canned reply's name, shortcut, body or sharing (shared replies: admins only)."""

    class InputSerializer(_WriteFields):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.required = False

    OutputSerializer = CannedReplySerializer

    @extend_schema(
        operation_id="canned_replies_partial_update",
        tags=CANNED,
        request=InputSerializer,
        parameters=[id_parameter("The canned reply's id.")],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        reply = _reply_or_404(request, pk)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        reply = canned_reply_update(reply=reply, actor=request.user, **data.validated_data)
        return Response(self.OutputSerializer(reply).data)


class CannedReplyDeleteApi(APIView):
    """Delete a canned reply (shared replies: admins only)."""

    @destroy_schema(operation_id="canned_replies_destroy", tags=CANNED, what="canned reply")
    def delete(self, request: Request, pk: int) -> Response:
        canned_reply_delete(reply=_reply_or_404(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
