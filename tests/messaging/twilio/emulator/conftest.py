"""Fixtures: a started emulator (fast callbacks) with the demo number, a webhook receiver, an SDK client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.rest import Client

from messaging.twilio.emulator import TwilioEmulator

from .helpers import ACCOUNT_SID, AUTH_TOKEN, NUMBER, Receiver, sdk_client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def make_emulator(receiver: Receiver) -> Iterator:
    """Start an emulator (own options) with ``NUMBER`` posting incoming texts to ``receiver``."""
    started: list[TwilioEmulator] = []

    def make(**options: object) -> TwilioEmulator:
        options = {"callback_delay": 0.02, **options}
        emulator = TwilioEmulator(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, port=0, **options).start()
        started.append(emulator)
        emulator.add_number(NUMBER, sms_url=receiver.url + "/sms-incoming")
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator) -> TwilioEmulator:
    return make_emulator()


@pytest.fixture
def client(emulator: TwilioEmulator) -> Client:
    return sdk_client(emulator)
