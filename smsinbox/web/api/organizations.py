"""The organization an API call acts for, and how a caller in several organizations names one."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request

from smsinbox.errors import ServiceError
from smsinbox.integrations.keys import key_of
from smsinbox.models import Membership, Organization
from smsinbox.parsing import MAX_ID
from smsinbox.web.api.errors import found_or_404


def organization_for_request(request: Request, requested_id: Any = None) -> Organization:
    """The organization an API call acts for: the caller's only one, or the one they name.

    A user in several organizations names one with ``organizationId`` (body or query) or the
    ``X-Organization`` header; naming one they do not belong to is a 404, like any foreign id.
    """
    raw = requested_id
    if raw is None:  # named but empty is a 400, like any value that is not a number
        raw = request.query_params.get("organizationId", request.headers.get("X-Organization"))
    key = key_of(request.user)
    if key is not None:  # an organization API key acts for its organization only; another is a 404
        if raw is None or str(raw).strip() == str(key.organization_id):
            return key.organization
        return found_or_404(None, "Organization", field="organizationId")
    memberships = Membership.objects.filter(user_id=request.user.pk).select_related("organization")
    if raw is not None:
        try:
            wanted = int(raw)
        except (TypeError, ValueError):
            raise ServiceError("organizationId must be a number.", field="organizationId") from None
        # Out of the database's range: no such organization (SQLite would overflow).
        membership = memberships.filter(organization_id=wanted).first() if 0 < wanted <= MAX_ID else None
        return found_or_404(membership, "Organization", field="organizationId").organization
    found = list(memberships[:2])
    if not found:
        raise exceptions.PermissionDenied("You are not a member of any organization.")
    if len(found) > 1:
        raise ServiceError("You belong to several organizations: pass organizationId.", field="organizationId")
    return found[0].organization


ORGANIZATION_PARAMETERS = [
    OpenApiParameter(
        "organizationId",
        int,
        OpenApiParameter.QUERY,
        required=False,
        description="For members of several organizations: the one to act for (or send `X-Organization`).",
    ),
    OpenApiParameter(
        "X-Organization",
        int,
        OpenApiParameter.HEADER,
        required=False,
        description="The organization to act for, like `organizationId`.",
    ),
]
