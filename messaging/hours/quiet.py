"""Quiet hours for outreach: scheduled and bulk messages go out only within the contact's local window.

The contact's zone is derived from their number with phonenumbers' time-zone data
(``phonenumbers.timezone.time_zones_for_number``): one zone, or several that all read the same local time at
that instant (``+44…`` names London, Jersey, Guernsey and the Isle of Man), is the contact's; a number whose
zones disagree (a US toll-free or a ``+1 500`` number spans the continent) is ambiguous, and the
organization's zone (``Organization.time_zone``) is used instead.

The window (``QuietHours.opens`` to ``closes``, local wall-clock times, ``opens`` before ``closes``) is read on
the local date of the instant, so 08:00–21:00 stays 08:00–21:00 across daylight-saving changes. Pure but for
``quiet_hours_get``: the clock is passed in (``at``). Used by our scheduler (``messaging.services.schedule``:
a due message in quiet hours is held, ``Message.quiet_hours_held_from``), by ``message_send`` for Twilio's
native scheduling, and by broadcasts.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta, tzinfo

import phonenumbers
from django.db import transaction
from phonenumbers import timezone as number_zones

from conversations.models import Contact
from messaging.hours.models import QuietHours
from messaging.hours.rules import organization_zone
from smsinbox.audit.services import Action, audit_record, changes_between
from smsinbox.errors import ServiceError
from smsinbox.models import Organization, User
from smsinbox.team.roles import organization_admin_require

UNKNOWN_ZONE = "Etc/Unknown"


def quiet_hours_get(*, organization: Organization) -> QuietHours:
    """The organization's quiet hours (unsaved defaults, off, when it has none): one indexed query."""
    return QuietHours.objects.filter(organization=organization).first() or QuietHours(organization=organization)


def contact_zone(*, phone: str, fallback: tzinfo, at: datetime) -> tzinfo:
    """The zone of the person with ``phone`` (E.164) at the instant ``at``; ``fallback`` when the number's zones
    are unknown or disagree about the local time then."""
    try:
        names = number_zones.time_zones_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return fallback
    zones = []
    for name in names:
        if name == UNKNOWN_ZONE:
            continue
        try:
            zones.append(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    if not zones or len({at.astimezone(z).utcoffset() for z in zones}) != 1:
        return fallback
    return zones[0]


def _local(day: datetime, moment: time, zone: tzinfo) -> datetime:
    """``moment`` on ``day``'s local date in ``zone``, as an aware instant (a skipped time resolves forward)."""
    naive = datetime.combine(day.date(), moment)
    local = naive.replace(tzinfo=zone)
    # A wall time skipped by a spring-forward change does not exist; round-tripping through UTC moves it on.
    return local.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)


def window_next_open(*, at: datetime, zone: tzinfo, opens: time, closes: time) -> datetime:
    """``at`` if it falls within ``opens``–``closes`` in ``zone``, else the next moment the window opens."""
    local = at.astimezone(zone)
    start, end = _local(local, opens, zone), _local(local, closes, zone)
    if start <= local < end:
        return at
    if local < start:
        return start
    return _local(local + timedelta(days=1), opens, zone)


def quiet_hours_next_open(contact: Contact, at: datetime, *, quiet: QuietHours | None = None) -> datetime:
    """When a message to ``contact`` due at ``at`` may go out: ``at`` itself when quiet hours are off or it falls
    within the contact's local window, else the moment that window next opens. ``quiet``: the organization's
    settings when the caller has them (a broadcast reads them once for all its recipients)."""
    if quiet is None:
        quiet = quiet_hours_get(organization=contact.organization)
    if not quiet.enabled:
        return at
    fallback = organization_zone(contact.organization.time_zone)
    zone = contact_zone(phone=str(contact.phone), fallback=fallback, at=at)
    return window_next_open(at=at, zone=zone, opens=quiet.opens, closes=quiet.closes)


@transaction.atomic
def quiet_hours_update(
    *, organization: Organization, actor: User, enabled: bool, opens: time, closes: time
) -> QuietHours:
    """Turn quiet hours on or off and set the window (admins only); refused when ``opens`` is not before
    ``closes`` (the check constraint ``quiet_hours_window_order`` holds it too)."""
    organization_admin_require(user=actor, organization_id=organization.pk, what="change quiet hours")
    if opens >= closes:
        raise ServiceError("“Send from” must be earlier than “send until”, within one day.", field="closes")
    before = quiet_hours_get(organization=organization)
    old = {"quiet_hours": _describe(before)}
    quiet, _ = QuietHours.objects.update_or_create(
        organization=organization, defaults={"enabled": enabled, "opens": opens, "closes": closes}
    )
    changes = changes_between(old, {"quiet_hours": _describe(quiet)})
    if changes:
        audit_record(organization=organization, action=Action.SETTINGS_CHANGED, actor=actor, changes=changes)
    return quiet


def _describe(quiet: QuietHours) -> str:
    return f"{'on' if quiet.enabled else 'off'} {quiet.opens:%H:%M}-{quiet.closes:%H:%M}"
