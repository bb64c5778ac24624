"""Writes of business hours, holidays and auto-reply settings: the organization's admins only.

Each service validates everything before it writes anything (a refusal is a ``ServiceError`` naming the
field) and writes in one transaction, so a refused or failed update leaves no half-written week.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from conversations.canned import placeholders
from messaging.hours.models import AUTO_REPLY_EVERY_HOURS_MAX, AutoReplySettings, Holiday, OpeningInterval
from messaging.hours.rules import Interval, intervals_check
from messaging.segments import MAX_BODY_CHARACTERS, is_too_long
from smsinbox.audit.services import Action, audit_record, changes_between
from smsinbox.errors import ServiceError
from smsinbox.models import Organization, User, validate_time_zone
from smsinbox.parsing import clean_text
from smsinbox.team.roles import organization_admin_require

WHAT = "change business hours and auto-replies"


def _text(value: str, *, field: str) -> str:
    text = clean_text(value).strip()
    if is_too_long(text):
        raise ServiceError(f"Too long. Maximum {MAX_BODY_CHARACTERS} characters.", field=field)
    found = placeholders(text)
    if found:  # it would be refused at every send (``unfilled_placeholder_check``): refused here, where it is written
        raise ServiceError(f"Replace {found[0]} with the words to send: a reply goes out as written.", field=field)
    return text


@transaction.atomic
def business_hours_update(
    *,
    organization: Organization,
    actor: User,
    time_zone: str,
    intervals: Sequence[Interval],
    auto_reply_enabled: bool,
    auto_reply_text: str,
    auto_reply_every_hours: int,
    help_reply_text: str,
) -> AutoReplySettings:
    """Replace the organization's zone, weekly hours and auto-reply settings as a whole.

    The week is replaced, not merged: the intervals given are the week (none: closed every day).
    """
    organization_admin_require(user=actor, organization_id=organization.pk, what=WHAT)
    time_zone = time_zone.strip()
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise ServiceError(exc.messages[0], field="time_zone") from exc
    problem = intervals_check(intervals)
    if problem:
        raise ServiceError(problem, field="intervals")
    auto_reply_text = _text(auto_reply_text, field="auto_reply_text")
    help_reply_text = _text(help_reply_text, field="help_reply_text")
    if auto_reply_enabled and not auto_reply_text:
        raise ServiceError("Write the auto-reply's text, or turn it off.", field="auto_reply_text")
    if not 1 <= auto_reply_every_hours <= AUTO_REPLY_EVERY_HOURS_MAX:
        raise ServiceError(
            f"Between 1 and {AUTO_REPLY_EVERY_HOURS_MAX} hours.", field="auto_reply_every_hours"
        )  # fmt: skip

    before = _hours_state(organization)
    Organization.objects.filter(pk=organization.pk).update(time_zone=time_zone)
    organization.time_zone = time_zone
    OpeningInterval.objects.filter(organization=organization).delete()
    OpeningInterval.objects.bulk_create(
        OpeningInterval(organization=organization, weekday=i.weekday, opens=i.opens, closes=i.closes) for i in intervals
    )
    settings, _ = AutoReplySettings.objects.update_or_create(
        organization=organization,
        defaults={
            "auto_reply_enabled": auto_reply_enabled,
            "auto_reply_text": auto_reply_text,
            "auto_reply_every_hours": auto_reply_every_hours,
            "help_reply_text": help_reply_text,
        },
    )
    changes = changes_between(before, _hours_state(organization))
    if changes:
        audit_record(organization=organization, action=Action.SETTINGS_CHANGED, actor=actor, changes=changes)
    return settings


def _hours_state(organization: Organization) -> dict[str, object]:
    """What ``business_hours_update`` changes, as the audit log's before/after compares it."""
    state: dict[str, object] = {
        "time_zone": Organization.objects.filter(pk=organization.pk).values_list("time_zone", flat=True).first(),
        "opening_hours": [
            f"{i.weekday} {i.opens:%H:%M}-{i.closes:%H:%M}"
            for i in OpeningInterval.objects.filter(organization=organization).order_by("weekday", "opens")
        ],
    }
    stored = (
        AutoReplySettings.objects.filter(organization=organization)
        .values("auto_reply_enabled", "auto_reply_text", "auto_reply_every_hours", "help_reply_text")
        .first()
    )
    state.update(stored or {})
    return state


def holiday_add(*, organization: Organization, actor: User, date: date, name: str = "") -> Holiday:
    """Close the organization on ``date``. Refused (field ``date``) when that date is already a holiday:
    the unique (organization, date) key decides, so two admins adding it at once store it once."""
    organization_admin_require(user=actor, organization_id=organization.pk, what=WHAT)
    name = clean_text(name).strip()
    if len(name) > Holiday._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ServiceError("Name too long. Maximum 100 characters.", field="name")
    try:
        with transaction.atomic():
            return Holiday.objects.create(organization=organization, date=date, name=name)
    except IntegrityError as exc:
        raise ServiceError(f"{date:%Y-%m-%d} is already a holiday.", field="date") from exc


@transaction.atomic
def holiday_remove(*, organization: Organization, actor: User, holiday_id: int) -> None:
    """Open again on a holiday's date (by the weekly hours). Another organization's holiday is not found."""
    organization_admin_require(user=actor, organization_id=organization.pk, what=WHAT)
    deleted, _ = Holiday.objects.filter(organization=organization, pk=holiday_id).delete()
    if not deleted:
        raise ServiceError.not_found("Holiday")
