"""Per-number sending pace, shared by every worker through the number's row."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from smsinbox.models import PhoneNumber


@transaction.atomic
def phone_number_reserve_send_slot(*, phone_number_id: int, now: datetime, max_wait: float) -> datetime | None:
    """Reserve the next moment a send from this number may start, or ``None`` if it is too far off.

    Lock: the PhoneNumber row (``select_for_update``), held only for this read-and-write,
    serializes all workers on one number. Slots are ``1 / messages_per_second`` apart, so
    sends never exceed the number's rate; an idle number's next slot is ``now``. When the
    next slot is more than ``max_wait`` seconds away nothing is reserved and the caller
    should come back at the returned-``None`` time it can compute from ``send_slot_at``.
    """
    number = (
        PhoneNumber.objects.select_for_update()
        .only("id", "messages_per_second", "send_slot_at")
        .get(pk=phone_number_id)
    )
    slot = max(now, number.send_slot_at or now)
    if (slot - now).total_seconds() > max_wait:
        return None
    # Rounded up to the microsecond, so rounding never lets an extra send into a second.
    interval = timedelta(microseconds=math.ceil(Decimal(1_000_000) / Decimal(number.messages_per_second)))
    number.send_slot_at = slot + interval
    number.save(update_fields=["send_slot_at"])
    return slot


def phone_number_next_slot(*, phone_number_id: int) -> datetime | None:
    """When the number's next slot opens (for deferring a send that could not reserve one)."""
    return PhoneNumber.objects.filter(pk=phone_number_id).values_list("send_slot_at", flat=True).first()
