"""Labels and saved views through the API: ``/api/labels/`` and ``/api/views/``.

Every route answers for the caller's organizations only: another organization's label or view is a 404, and
naming another organization's label anywhere (a conversation's or contact's ``labels``, a view's ``labelId``) is a
clear 400. Lists and creations act for the caller's organization (``organizationId`` / ``X-Organization``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.labels import (
    label_create,
    label_delete,
    label_update,
    saved_view_create,
    saved_view_delete,
    saved_view_update,
)
from conversations.models import LABEL_COLORS, LABEL_NAME_MAX_LENGTH, SAVED_VIEW_NAME_MAX_LENGTH, Conversation
from conversations.payloads import LabelPayload, SavedViewPayload, saved_view_payload
from conversations.selectors import (
    SEARCH_MAX_LENGTH,
    label_get_for_user,
    label_list,
    saved_view_get_for_user,
    saved_view_list,
)
from messaging.selectors import saved_view_counts
from smsinbox.parsing import MAX_ID
from smsinbox.web.api.errors import error_responses, found_or_404
from smsinbox.web.api.fields import StrictCharField, StrictIntegerField
from smsinbox.web.api.organizations import ORGANIZATION_PARAMETERS, organization_for_request
from smsinbox.web.api.schema import destroy_schema, id_parameter
from smsinbox.web.api.shapes import shape_serializer

LABELS = ["labels"]
VIEWS = ["saved views"]

LabelSerializer = shape_serializer(LabelPayload)  # the nested shape's own class: a Label reads as one
SavedViewSerializer = shape_serializer(SavedViewPayload, saved_view_payload)
COLORS = [(key, value["label"]) for key, value in LABEL_COLORS.items()]


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean only (``"yes"`` or ``1`` are refused, not converted)."""

    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class LabelListApi(APIView):
    """The organization's labels, by name."""

    @extend_schema(
        operation_id="labels_list",
        tags=LABELS,
        parameters=ORGANIZATION_PARAMETERS,
        responses={200: LabelSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        labels = label_list(organization=organization_for_request(request))
        return Response(LabelSerializer(labels, many=True).data)


class LabelCreateApi(APIView):
    """Create a label: a name unique in the organization (whatever its case) and a colour of the palette.
    The organization's admins only (an agent: 403, `forbidden`)."""

    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=LABEL_NAME_MAX_LENGTH, allow_blank=True)
        color = serializers.ChoiceField(choices=COLORS, required=False, default="gray")
        organization_id = StrictIntegerField(
            required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
        )

    @extend_schema(
        operation_id="labels_create",
        tags=LABELS,
        request=InputSerializer,
        examples=[OpenApiExample("Label", {"name": "VIP", "color": "purple"}, request_only=True)],
        parameters=ORGANIZATION_PARAMETERS,
        responses={201: LabelSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        label = label_create(
            organization=organization_for_request(request, values["organization_id"]),
            name=values["name"],
            color=values["color"],
            actor=request.user,
        )
        return Response(LabelSerializer(label).data, status=status.HTTP_201_CREATED)


class LabelUpdateApi(APIView):
    """Rename or recolour a label; open inboxes re-render it at once. Admins only (an agent: 403)."""

    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=LABEL_NAME_MAX_LENGTH, required=False, allow_blank=True)
        color = serializers.ChoiceField(choices=COLORS, required=False)

    @extend_schema(
        operation_id="labels_partial_update",
        tags=LABELS,
        request=InputSerializer,
        examples=[OpenApiExample("Rename", {"name": "Priority"}, request_only=True)],
        parameters=[id_parameter("The label's id.")],
        responses={200: LabelSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        label = found_or_404(label_get_for_user(user=request.user, label_id=pk), "Label")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        label = label_update(label=label, actor=request.user, **data.validated_data)
        return Response(LabelSerializer(label).data)


class LabelDeleteApi(APIView):
    """Delete a label: it leaves every conversation and contact; views filtering by it go too. Admins only."""

    @destroy_schema(operation_id="labels_destroy", tags=LABELS, what="label")
    def delete(self, request: Request, pk: int) -> Response:
        label_delete(
            label=found_or_404(label_get_for_user(user=request.user, label_id=pk), "Label"), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Saved views -----------------------------------------------------------------------------------


class SavedViewWithCountSerializer(SavedViewSerializer):  # type: ignore[misc, valid-type]
    count = serializers.IntegerField(help_text="How many conversations of the inbox the view shows now.")


class SavedViewListApi(APIView):
    """The caller's saved views and those shared with the organization, each with its live count."""

    @extend_schema(
        operation_id="views_list",
        tags=VIEWS,
        parameters=ORGANIZATION_PARAMETERS,
        responses={200: SavedViewWithCountSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        organization = organization_for_request(request)
        views = list(saved_view_list(user=request.user, organization=organization))
        counts = saved_view_counts(user=request.user, organization=organization, views=views)
        return Response([{**SavedViewSerializer(view).data, "count": counts[view.pk]} for view in views])


class SavedViewCreateApi(APIView):
    """Save a combination of the list's filters under a name; `shared` shows it to the whole organization."""

    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=SAVED_VIEW_NAME_MAX_LENGTH, allow_blank=True)
        shared = StrictBooleanField(required=False, default=False)
        status = serializers.ChoiceField(
            choices=[("", "any"), *Conversation.Status.choices], required=False, default=""
        )
        assigned = serializers.ChoiceField(
            choices=[("", "anyone"), ("me", "me"), ("unassigned", "unassigned")], required=False, default=""
        )
        label_id = StrictIntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID)
        unread = StrictBooleanField(required=False, default=False)
        q = StrictCharField(required=False, allow_blank=True, default="", max_length=SEARCH_MAX_LENGTH)
        organization_id = StrictIntegerField(
            required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
        )

    @extend_schema(
        operation_id="views_create",
        tags=VIEWS,
        request=InputSerializer,
        examples=[
            OpenApiExample("My open VIPs", {"name": "My VIPs", "status": "open", "labelId": 3}, request_only=True)
        ],
        parameters=ORGANIZATION_PARAMETERS,
        responses={201: SavedViewSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organization = organization_for_request(request, values.pop("organization_id"))
        view = saved_view_create(organization=organization, owner=request.user, **values)
        return Response(SavedViewSerializer(view).data, status=status.HTTP_201_CREATED)


class SavedViewUpdateApi(APIView):
    """Rename a saved view or change whether it is shared (its owner only: a colleague's shared view is a 403)."""

    class InputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=SAVED_VIEW_NAME_MAX_LENGTH, required=False, allow_blank=True)
        shared = StrictBooleanField(required=False)

    @extend_schema(
        operation_id="views_partial_update",
        tags=VIEWS,
        request=InputSerializer,
        examples=[OpenApiExample("Share", {"shared": True}, request_only=True)],
        parameters=[id_parameter("The view's id.")],
        responses={200: SavedViewSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        view = found_or_404(saved_view_get_for_user(user=request.user, view_id=pk), "View")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        view = saved_view_update(view=view, user=request.user, **data.validated_data)
        return Response(SavedViewSerializer(view).data)


class SavedViewDeleteApi(APIView):
    """Delete a saved view (its owner only: a colleague's shared view is a 403)."""

    @destroy_schema(operation_id="views_destroy", tags=VIEWS, what="view")
    def delete(self, request: Request, pk: int) -> Response:
        view = found_or_404(saved_view_get_for_user(user=request.user, view_id=pk), "View")
        saved_view_delete(view=view, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
