"""Twilio Lookup line types through the emulator: a contact's check, an import's opt-in check flagging landlines
(in its background task), and sends to a known landline refused before anything is stored."""

from __future__ import annotations

import pytest

from conversations.import_jobs import contact_import_create
from conversations.models import Contact, ContactImport
from conversations.services import contact_create
from messaging.models import Message
from messaging.services.lookups import contact_import_launch, contact_line_type_check
from messaging.services.outbound import message_send
from messaging.twilio.emulator.lookups import LANDLINE, NON_FIXED_VOIP, UNAVAILABLE
from smsinbox.errors import ServiceError
from tests.pipeline import drain_tasks, running_emulator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def emulator(settings, org_a):
    settings.TWILIO_HTTP_TIMEOUT = 2
    with running_emulator(settings, numbers=[], callback_delay=0.0) as emulator:
        yield emulator


def _check(org, contact):
    return contact_line_type_check(organization=org.organization, contact_id=contact.pk, actor=org.user)


def test_a_contacts_check_keeps_the_type_and_when(emulator, org_a):
    landline = contact_create(organization=org_a.organization, phone=LANDLINE)
    assert (landline.line_type, landline.line_type_checked_at) == ("", None)
    checked = _check(org_a, landline)
    assert checked.line_type == "landline"
    assert checked.line_type_checked_at is not None
    mobile = _check(org_a, contact_create(organization=org_a.organization, phone="+14155550101"))
    voip = _check(org_a, contact_create(organization=org_a.organization, phone=NON_FIXED_VOIP))
    assert (mobile.line_type, voip.line_type) == ("mobile", "nonFixedVoip")
    assert emulator.lookups.requests == [LANDLINE, "+14155550101", NON_FIXED_VOIP]


def test_a_failed_lookup_writes_nothing_and_says_so(emulator, org_a):
    contact = contact_create(organization=org_a.organization, phone=UNAVAILABLE)
    with pytest.raises(ServiceError) as failed:
        _check(org_a, contact)
    assert failed.value.code == "lookup_failed"
    assert "Try again later" in failed.value.message
    contact.refresh_from_db()
    assert (contact.line_type, contact.line_type_checked_at) == ("", None)


def test_another_organizations_contact_is_not_found_and_not_looked_up(emulator, org_a, org_b):
    theirs = contact_create(organization=org_b.organization, phone=LANDLINE)
    with pytest.raises(ServiceError) as missing:
        _check(org_a, theirs)
    assert missing.value.code == "not_found"
    assert emulator.lookups.requests == []


def test_a_send_to_a_known_landline_is_refused_with_nothing_stored(emulator, org_a):
    contact = _check(org_a, contact_create(organization=org_a.organization, phone=LANDLINE))
    with pytest.raises(ServiceError) as refused:
        message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body="Hello")
    assert (refused.value.code, refused.value.field) == ("landline", "contactId")
    assert "30006" in refused.value.message
    assert "landline" in refused.value.message
    assert not Message.objects.exists()
    unchecked = contact_create(organization=org_a.organization, phone="+14155550199")  # never checked: sent
    assert message_send(organization=org_a.organization, sender=org_a.user, contact=unchecked, body="Hi").created


def _import(org, data: bytes, *, check: bool) -> ContactImport:
    job = contact_import_create(organization=org.organization, actor=org.user, file_name="c.csv", data=data)
    contact_import_launch(
        organization=org.organization, import_id=job.pk, mapping={"phone": 0, "first_name": 1}, check_line_types=check
    )
    drain_tasks()
    job.refresh_from_db()
    return job


def test_an_import_with_the_check_flags_its_landlines(emulator, org_a):
    data = f"phone,name\n{LANDLINE},Desk\n+14155550101,Ann\n12,Bad\n+14155550101,Again\n{UNAVAILABLE},Later\n"
    job = _import(org_a, data.encode(), check=True)
    assert (job.status, job.created, job.errors, job.duplicates) == ("done", 3, 1, 1)
    assert (job.check_line_types, job.landlines) == (True, 1)
    types = dict(Contact.objects.values_list("phone", "line_type"))
    assert types == {LANDLINE: "landline", "+14155550101": "mobile", UNAVAILABLE: ""}  # a failed lookup: unchecked
    assert sorted(emulator.lookups.requests) == sorted([LANDLINE, "+14155550101", UNAVAILABLE])  # not the refused


def test_an_import_without_the_check_asks_twilio_nothing(emulator, org_a):
    job = _import(org_a, f"phone,name\n{LANDLINE},Desk\n".encode(), check=False)
    assert (job.status, job.created, job.check_line_types, job.landlines) == ("done", 1, False, 0)
    assert Contact.objects.get().line_type == ""
    assert emulator.lookups.requests == []
