"""An organization's sign-in rules, edited by its admins on ``/settings/security/``: the idle timeout, the
maximum session age (``smsinbox.session_limits``) and whether two-factor sign-in is required
(``smsinbox.two_factor``). The database bounds the numbers (``organization_session_limits_range``)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from smsinbox.audit.services import Action, audit_record, changes_between
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.team.roles import organization_admin_require

MAX_IDLE_MINUTES = 24 * 60
MAX_SESSION_HOURS = 24 * 30


def _bounded(value: int, *, field: str, most: int, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise ServiceError(f"Give a whole number of {unit} from 0 (off) to {most}.", field=field)
    return value


@transaction.atomic
def organization_security_update(
    *,
    organization: Organization,
    actor: AbstractBaseUser,
    idle_timeout_minutes: int,
    max_session_hours: int,
    require_two_factor: bool,
) -> Organization:
    """Change the organization's sign-in rules (admins only). Open sessions follow them at their next request
    or keep-alive ping."""
    organization_admin_require(user=actor, organization_id=organization.pk, what="change the sign-in rules")
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    fields = ["idle_timeout_minutes", "max_session_hours", "require_two_factor"]
    before = {f: getattr(locked, f) for f in fields}
    locked.idle_timeout_minutes = _bounded(
        idle_timeout_minutes, field="idle_timeout_minutes", most=MAX_IDLE_MINUTES, unit="minutes"
    )
    locked.max_session_hours = _bounded(
        max_session_hours, field="max_session_hours", most=MAX_SESSION_HOURS, unit="hours"
    )
    locked.require_two_factor = bool(require_two_factor)
    changes = changes_between(before, {f: getattr(locked, f) for f in fields})
    locked.save(update_fields=fields)
    if changes:
        audit_record(organization=locked, action=Action.SETTINGS_CHANGED, actor=actor, changes=changes)
    return locked
