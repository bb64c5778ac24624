"""How long a signed-in session lasts: the organizations' idle timeout and maximum session age.

A session stores two times (epoch seconds, ``clock()``): ``SIGNED_IN_AT`` (set at sign-in) and
``ACTIVE_AT`` (the user's last real request). It has ended when it was idle longer than the idle timeout
or is older than the maximum age. The limits of a user in several organizations are the strictest of
them (``limits_for_user``): one session serves all of them.

Who enforces it:

- ``smsinbox.middleware.SessionLimitsMiddleware`` on every HTTP request: an ended session is logged out
  (``django.contrib.auth.logout``: its websockets close on ``session.ended``) and the request goes on as
  anonymous; a real request records the activity. Background requests (the inbox's polls: ``BACKGROUND``)
  never do, so an open inbox left alone still times out.
- the websocket's keep-alive ping (``smsinbox.web.consumers.session_user``) re-checks it, so a socket never
  outlives its session.
- the inbox (``static/js/idle.js``) asks ``GET /session/`` (background) how long is left and warns a minute
  before; "Stay signed in" posts to ``/session/`` (a real request).

``ACTIVE_AT`` is written at most every ``ACTIVITY_GRANULARITY`` seconds (a session save per request
otherwise): a session may end up to that much earlier than the timeout says.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Min, Q

SIGNED_IN_AT = "_signed_in_at"
ACTIVE_AT = "_active_at"
ACTIVITY_GRANULARITY = 10  # seconds
IDLE = "idle"
MAX_AGE = "max_age"

# URL names of requests the page makes by itself, which are not the user's activity: the session check
# (``GET`` only), resync after a reconnection, saved views' counts, marking the open thread read as
# messages arrive, and files the browser fetches on its own.
BACKGROUND = frozenset(
    {"session-state", "inbox-sync", "views-counts", "inbox-read", "manifest", "service-worker", "labels-palette"}
)


def clock() -> float:
    """The time sessions are measured with (epoch seconds); tests replace it."""
    return time.time()


@dataclass(frozen=True)
class Limits:
    """Seconds; ``None`` where there is no limit."""

    idle_seconds: int | None
    max_age_seconds: int | None


NO_LIMITS = Limits(None, None)


def limits_for_user(user_id: int) -> Limits:
    """The strictest limits among the user's organizations (0, "off", counts as no limit)."""
    from smsinbox.models import Organization

    found = Organization.objects.filter(memberships__user_id=user_id).aggregate(
        idle=Min("idle_timeout_minutes", filter=Q(idle_timeout_minutes__gt=0)),
        age=Min("max_session_hours", filter=Q(max_session_hours__gt=0)),
    )
    return Limits(
        idle_seconds=found["idle"] * 60 if found["idle"] else None,
        max_age_seconds=found["age"] * 3600 if found["age"] else None,
    )


def _time(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def ended(data: Mapping[str, Any], limits: Limits, now: float) -> str | None:
    """Why the session whose data is ``data`` has ended (``IDLE``, ``MAX_AGE``), or ``None``.

    A session without the times (signed in before they were kept) is measured from when they are first set.
    """
    signed_in, active = _time(data, SIGNED_IN_AT), _time(data, ACTIVE_AT)
    if limits.max_age_seconds is not None and signed_in is not None and now - signed_in >= limits.max_age_seconds:
        return MAX_AGE
    if limits.idle_seconds is not None and active is not None and now - active >= limits.idle_seconds:
        return IDLE
    return None


def remaining(data: Mapping[str, Any], limits: Limits, now: float) -> tuple[float | None, bool]:
    """Seconds until the session ends (``None``: never) and whether activity would postpone it."""
    signed_in, active = _time(data, SIGNED_IN_AT), _time(data, ACTIVE_AT)
    signed_in, active = now if signed_in is None else signed_in, now if active is None else active
    idle_left = None if limits.idle_seconds is None else active + limits.idle_seconds - now
    age_left = None if limits.max_age_seconds is None else signed_in + limits.max_age_seconds - now
    if idle_left is None and age_left is None:
        return None, True
    if age_left is not None and (idle_left is None or age_left <= idle_left):
        return max(age_left, 0.0), False
    return max(idle_left if idle_left is not None else 0.0, 0.0), True


def record(session: Any, now: float, *, signed_in: bool = False, active: bool = True) -> None:
    """Write the session's times: at sign-in both; on a real request the activity (at most every
    ``ACTIVITY_GRANULARITY`` seconds); the sign-in time when missing (an older session)."""
    if signed_in or _time(session, SIGNED_IN_AT) is None:
        session[SIGNED_IN_AT] = now
    last = _time(session, ACTIVE_AT)
    if signed_in or last is None or (active and now - last >= ACTIVITY_GRANULARITY):
        session[ACTIVE_AT] = now
