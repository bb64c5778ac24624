"""Per-number sending pace, shared by every worker through the number's row."""

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
