"""Who may read an organization's reports: its admins, and its agents when ``reports_for_agents`` is on.

Read-only either way (reports change nothing). API keys are let through by their ``reports:read`` scope
(``smsinbox.web.api.keys``), not here.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization
from smsinbox.team.roles import FORBIDDEN, is_organization_admin

REFUSED = (
    "Only the organization's admins read its reports. An admin can let agents read them "
    "(Django admin → Organization → “agents may read reports”)."
)


def reports_readable(*, user: AbstractBaseUser | AnonymousUser, organization: Organization) -> bool:
    if is_organization_admin(user=user, organization_id=organization.pk):
        return True
    return (
        organization.reports_for_agents
        and Membership.objects.filter(user_id=user.pk, organization_id=organization.pk, user__is_active=True).exists()
    )


def reports_read_require(*, user: AbstractBaseUser | AnonymousUser, organization: Organization) -> None:
    """A ``ServiceError`` (``forbidden``: a 403) unless ``user`` may read the organization's reports."""
    if not reports_readable(user=user, organization=organization):
        raise ServiceError(REFUSED, code=FORBIDDEN)
