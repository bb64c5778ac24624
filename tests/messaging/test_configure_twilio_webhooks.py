"""configure_twilio_webhooks against the emulator's IncomingPhoneNumbers."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from smsinbox.models import PhoneNumber
from tests.pipeline import running_emulator


def run(*args):
    out = StringIO()
    call_command("configure_twilio_webhooks", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def emulator(settings, org_a):
    settings.PUBLIC_BASE_URL = "https://inbox.example.com"
    with running_emulator(settings, numbers=[]) as emu:
        emu.add_number("+14155550001", sms_url="https://old.example.com/hook")
        yield emu


def test_check_reports_drift_then_configure_fixes_it(emulator, org_a):
    with pytest.raises(CommandError, match="1 number"):
        run("--check")
    out = run()
    assert "+14155550001: webhooks set to https://inbox.example.com/api/twilio/sms-incoming" in out
    remote = emulator.numbers()[0]
    assert remote["sms_url"] == "https://inbox.example.com/api/twilio/sms-incoming"
    assert remote["sms_method"] == "POST"
    assert remote["status_callback"] == "https://inbox.example.com/api/twilio/sms-status"
    assert "+14155550001: up to date" in run("--check")
    assert PhoneNumber.objects.get().twilio_sid == remote["sid"]


def test_a_number_twilio_does_not_know_is_reported(emulator, org_a):
    PhoneNumber.objects.create(organization=org_a.organization, number="+14155550002")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("configure_twilio_webhooks", "--check", "--number", "+14155550002", stdout=out)
    assert "not on this Twilio account" in out.getvalue()


def test_unknown_number_argument_is_a_clear_error(emulator, org_a):
    with pytest.raises(CommandError, match="Not set up here"):
        run("--number", "+14155550099")
