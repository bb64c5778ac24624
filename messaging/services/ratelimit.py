"""Per-number sending pace, shared by every worker through the number's row.

Two rules, both under the row's lock (``select_for_update``):

- **Slots** (``phone_number_reserve_send_slot``) spread sends evenly: each task reserves the next moment it may
  start, ``(1 + SEND_RATE_MARGIN) / messages_per_second`` after the previous one, and waits (or defers) to it.
- **The window** (``phone_number_start_send``) is the hard cap, checked when a send really starts: at most
  ``ceil(messages_per_second)`` starts in any window of ``1 + SEND_RATE_MARGIN`` seconds, counted on the
  recorded start times (``PhoneNumber.recent_send_starts``). Slots alone kept the average but not the cap: a
  task that started late (a loaded box, a deferral picked up late) compressed the gap to the next one, and the
  benchmark saw 21 sends in one second at 20/s.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from smsinbox.models import PhoneNumber


@transaction.atomic
def phone_number_reserve_send_slot(*, phone_number_id: int, now: datetime) -> datetime:
    """Reserve the next moment a send from this number may start, and return it.

    Lock: the PhoneNumber row (``select_for_update``), held only for this read-and-write,
    serializes all workers on one number. Slots are ``(1 + margin) / messages_per_second`` apart, so
    sends never exceed the number's rate; an idle number's next slot is ``now``. A slot far
    ahead stays reserved: the caller defers its task to it rather than asking again.
    """
    number = (
        PhoneNumber.objects.select_for_update()
        .only("id", "messages_per_second", "send_slot_at")
        .get(pk=phone_number_id)
    )
    slot = max(now, number.send_slot_at or now)
    # A small margin (SEND_RATE_MARGIN, 3 %) absorbs network jitter between our start and Twilio's
    # receipt; rounded up to the microsecond, so rounding never lets an extra send into a second.
    margin = Decimal(str(1 + settings.SEND_RATE_MARGIN))
    interval = timedelta(microseconds=math.ceil(Decimal(1_000_000) * margin / Decimal(number.messages_per_second)))
    number.send_slot_at = slot + interval
    number.save(update_fields=["send_slot_at"])
    return slot


def _window_seconds() -> float:
    return 1.0 + settings.SEND_RATE_MARGIN


@transaction.atomic
def phone_number_start_send(*, phone_number_id: int, now: datetime) -> timedelta:
    """Record that a send from this number starts ``now`` and return zero, or return how long to wait first.

    The cap: of the starts recorded in the last ``1 + SEND_RATE_MARGIN`` seconds there may be fewer than
    ``ceil(messages_per_second)`` for one more to start. A caller told to wait records nothing: it waits and
    asks again. A start recorded for a send that then stands down (another task claimed the message) only
    makes the pace stricter. Lock: the PhoneNumber row, held for this read-and-write only.
    """
    number = (
        PhoneNumber.objects.select_for_update()
        .only("id", "messages_per_second", "recent_send_starts")
        .get(pk=phone_number_id)
    )
    cap = max(1, math.ceil(number.messages_per_second))
    window = _window_seconds()
    at = now.timestamp()
    starts = [float(t) for t in (number.recent_send_starts or []) if isinstance(t, int | float) and t > at - window]
    starts = sorted(starts)[-cap:]
    if len(starts) >= cap:
        wait = starts[-cap] + window - at
        if wait > 0:
            return timedelta(seconds=wait)
    number.recent_send_starts = [*starts, at][-cap:]
    number.save(update_fields=["recent_send_starts"])
    return timedelta(0)
