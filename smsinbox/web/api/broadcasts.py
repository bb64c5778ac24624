"""Broadcasts through the API: ``POST /api/broadcasts/`` (or its dry run), ``GET /api/broadcasts/{id}/`` and
``POST /api/broadcasts/{id}/pause|resume|cancel`` (``messaging.broadcasts``).

The organization's admins only (others: 403 ``forbidden``); they act as a staff member, so organization API keys
cannot use them. A move the broadcast's state does not allow is a 409 (``broadcast_state``) saying why.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.broadcasts.models import BroadcastState
from messaging.broadcasts.selectors import broadcast_get_for_user, broadcast_payload
from messaging.broadcasts.services import (
    broadcast_cancel,
    broadcast_create,
    broadcast_pause,
    broadcast_preview,
    broadcast_resume,
)
from messaging.segments import MAX_BODY_CHARACTERS
from smsinbox.parsing import MAX_ID
from smsinbox.team.roles import organization_admin_require
from smsinbox.web.api.errors import ErrorSerializer, error_responses, found_or_404
from smsinbox.web.api.fields import OffsetDateTimeField, StrictBooleanField, StrictCharField, StrictIntegerField
from smsinbox.web.api.organizations import organization_for_request
from smsinbox.web.api.schema import id_parameter

BROADCASTS = ["broadcasts"]
MAX_LIST = 10_000


class ExcludedPreviewSerializer(serializers.Serializer):
    opted_out = serializers.IntegerField(help_text="Contacts who opted out.")
    invalid = serializers.IntegerField(help_text="Entries that are not phone numbers.")
    duplicates = serializers.IntegerField(help_text="Chosen more than once (counted once).")
    landline = serializers.IntegerField(help_text="Known landlines.")


class PreviewSerializer(serializers.Serializer):
    """What a broadcast would do (a dry run): nothing is stored or sent."""

    recipients = serializers.IntegerField(help_text="How many would receive it.")
    excluded = ExcludedPreviewSerializer()
    segments = serializers.IntegerField(help_text="Segments of the longest text (variables filled in).")
    estimated_seconds = serializers.IntegerField(help_text="At the sending number's messages per second.")
    from_number = serializers.CharField(
        allow_null=True, help_text="The number chosen (`fromNumberId`), with its name; null: each conversation's own."
    )


class ExcludedSerializer(ExcludedPreviewSerializer):
    cancelled = serializers.IntegerField(help_text="Not texted: the broadcast was cancelled first.")
    refused = serializers.IntegerField(help_text="Refused by the send pipeline.")


class ProgressSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="Not handed to the send pipeline yet.")
    sent = serializers.IntegerField(help_text="Handed over, no outcome yet.")
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Failed or undelivered.")
    excluded = serializers.IntegerField()
    total = serializers.IntegerField()


class BroadcastSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization_id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=BroadcastState.choices)
    message = serializers.CharField(help_text="The text as written, with its {{variables}}.")
    from_number = serializers.CharField(help_text="E.164.")
    send_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.IntegerField(allow_null=True, help_text="The member's id.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    recipients = serializers.IntegerField(help_text="Recipients when it was created.")
    excluded = ExcludedSerializer()
    progress = ProgressSerializer()


DRY_RUN_EXAMPLE = {
    "message": "Hi {{contact.first_name|there}}, we open at 9 on Saturday.",
    "labels": [3],
    "numbers": ["+14155550123"],
    "dryRun": True,
}
STATE_REFUSED = OpenApiResponse(
    ErrorSerializer, description="Refused (`broadcast_state`): its state does not allow this; the error says why."
)


class BroadcastCreateApi(APIView):
    """Send one message to many contacts, or preview it (`dryRun`).

    Recipients: contacts with any of `labels`, the `contactIds`, and the `numbers` (a contact is created for a
    number nobody has yet); duplicates are counted once, opted-out contacts and invalid numbers excluded. The
    message may use `{{contact.first_name}}` and a fallback, `{{contact.first_name|there}}`; an unknown variable
    is a 400. A dry run answers the preview counts and sends nothing; otherwise the broadcast is queued (201)
    and sent in the background at the number's pace. The organization's admins only."""

    class InputSerializer(serializers.Serializer):
        message = StrictCharField(trim_whitespace=False, help_text=f"Up to {MAX_BODY_CHARACTERS} characters.")
        numbers = serializers.ListField(
            child=StrictCharField(max_length=64), required=False, max_length=MAX_LIST, help_text="E.164 numbers."
        )
        labels = serializers.ListField(
            child=StrictIntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=100,
            help_text="Label ids: their contacts receive it.",
        )  # fmt: skip
        contact_ids = serializers.ListField(
            child=StrictIntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=MAX_LIST
        )
        send_at = OffsetDateTimeField(required=False, help_text="Start later: ISO 8601 with its offset.")
        from_number_id = StrictIntegerField(
            min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None,
            help_text="The id of your number every text goes from; a recipient whose conversation is on another of "
            "your numbers has it moved to this one, as the composer's From does. Default: each from its "
            "conversation's own number.",
        )  # fmt: skip
        dry_run = StrictBooleanField(required=False, default=False, help_text="Only count; store and send nothing.")
        organization_id = StrictIntegerField(
            required=False, allow_null=True, default=None, help_text="For members of several organizations."
        )

    @extend_schema(
        operation_id="broadcasts_create",
        tags=BROADCASTS,
        request=InputSerializer,
        examples=[OpenApiExample("A dry run", DRY_RUN_EXAMPLE, request_only=True)],
        responses={
            200: OpenApiResponse(PreviewSerializer, description="The dry run's counts."),
            201: OpenApiResponse(BroadcastSerializer, description="Queued."),
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organization = organization_for_request(request, values["organization_id"])
        sources = {
            "organization": organization,
            "user": request.user,
            "body": values["message"],
            "label_ids": values.get("labels", []),
            "contact_ids": values.get("contact_ids", []),
            "numbers": values.get("numbers", []),
            "phone_number_id": values["from_number_id"],
        }
        if values["dry_run"]:
            return Response(PreviewSerializer(broadcast_preview(**sources).as_dict()).data)
        broadcast = broadcast_create(**sources, send_at=values.get("send_at"))
        return Response(BroadcastSerializer(broadcast_payload(broadcast)).data, status=status.HTTP_201_CREATED)


class BroadcastDetailApi(APIView):
    """A broadcast and its live progress (sent, delivered, failed, excluded)."""

    @extend_schema(
        operation_id="broadcasts_retrieve",
        tags=BROADCASTS,
        parameters=[id_parameter("The broadcast's id.")],
        responses={200: BroadcastSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        broadcast = found_or_404(broadcast_get_for_user(user=request.user, broadcast_id=pk), "Broadcast")
        organization_admin_require(user=request.user, organization_id=broadcast.organization_id, what="see broadcasts")
        return Response(BroadcastSerializer(broadcast_payload(broadcast)).data)


def _move_api(name: str, service, summary: str) -> type[APIView]:
    class MoveApi(APIView):
        @extend_schema(
            operation_id=f"broadcasts_{name}",
            tags=BROADCASTS,
            summary=summary,
            request=None,
            parameters=[id_parameter("The broadcast's id.")],
            responses={200: BroadcastSerializer, **error_responses(401, 403, 404), 409: STATE_REFUSED},
        )
        def post(self, request: Request, pk: int) -> Response:
            broadcast = found_or_404(broadcast_get_for_user(user=request.user, broadcast_id=pk), "Broadcast")
            broadcast = service(broadcast=broadcast, user=request.user)
            return Response(BroadcastSerializer(broadcast_payload(broadcast)).data)

    MoveApi.__name__ = MoveApi.__qualname__ = f"Broadcast{name.title()}Api"
    MoveApi.__doc__ = summary
    return MoveApi


BroadcastPauseApi = _move_api("pause", broadcast_pause, "Pause a queued or sending broadcast.")
BroadcastResumeApi = _move_api("resume", broadcast_resume, "Resume a paused broadcast where it stopped.")
BroadcastCancelApi = _move_api("cancel", broadcast_cancel, "Cancel a broadcast: nobody not yet texted is texted.")
