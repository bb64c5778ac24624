"""The emulator's controllable clock: a message scheduled with ``SendAt`` is held until the clock reaches it, then
goes through its lifecycle; ``SendAt`` is checked against the moved clock; the control endpoint moves it too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from .helpers import CUSTOMER, NUMBER

SERVICE_SID = "MG" + "2" * 32


@pytest.fixture
def pooled(emulator):
    emulator.add_number(NUMBER, messaging_service_sid=SERVICE_SID)
    return emulator


def wait_status(emulator, sid: str, status: str, timeout: float = 5.0) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while emulator.message(sid)["status"] != status:
        assert datetime.now(UTC) < deadline, emulator.message(sid)["status"]
        emulator.pause(0.02)


def test_a_scheduled_message_waits_for_the_clock_then_is_delivered(client, pooled):
    send_at = datetime.now(UTC) + timedelta(hours=3)
    sent = client.messages.create(
        to=CUSTOMER, messaging_service_sid=SERVICE_SID, body="Later", schedule_type="fixed", send_at=send_at
    )
    pooled.advance_clock(2 * 3600)
    pooled.pause(0.5)
    assert pooled.message(sent.sid)["status"] == "scheduled"
    pooled.advance_clock(3600 + 1)
    wait_status(pooled, sent.sid, "delivered")
    assert pooled.message(sent.sid)["from"] == NUMBER  # the service's sticky sender


def test_send_at_is_checked_against_the_moved_clock(client, pooled):
    pooled.advance_clock(24 * 3600)
    with pytest.raises(TwilioRestException) as too_soon:  # an hour ahead of real time is in the emulator's past
        client.messages.create(
            to=CUSTOMER, messaging_service_sid=SERVICE_SID, body="x", schedule_type="fixed",
            send_at=datetime.now(UTC) + timedelta(hours=1),
        )  # fmt: skip
    assert too_soon.value.code == 35115
    with pytest.raises(ValueError, match="only moves forward"):
        pooled.advance_clock(-1)


def test_the_control_endpoint_moves_the_clock(pooled):
    before = pooled.now()
    answer = requests.post(f"{pooled.base_url}/_emulator/clock", data={"advance_seconds": "600"}, timeout=5)
    assert answer.status_code == 200
    moved = datetime.fromisoformat(answer.json()["now"])
    assert timedelta(seconds=600) <= moved - before < timedelta(seconds=605)
    refused = requests.post(f"{pooled.base_url}/_emulator/clock", data={"advance_seconds": "-5"}, timeout=5)
    assert refused.status_code == 400
