"""Staff's notes about a contact (``Contact.notes``), written by ``contact_update``: plain text, bounded, checked
by the database too."""

from __future__ import annotations

import pytest
from django.db import transaction

from conversations.models import CONTACT_NOTES_MAX_LENGTH, Contact
from conversations.services import contact_create, contact_update
from smsinbox.errors import ServiceError
from tests.db_errors import refused_by


def test_notes_are_stored_as_plain_text_trimmed(org_a):
    contact = contact_create(organization=org_a.organization, phone="+14155550123")
    contact_update(contact=contact, notes="  <i>Allergic</i> to penicillin\r\nCalls after 5  ")
    assert Contact.objects.get(pk=contact.pk).notes == "<i>Allergic</i> to penicillin\nCalls after 5"


@pytest.mark.parametrize(("notes", "said"), [("x" * (CONTACT_NOTES_MAX_LENGTH + 1), "at most 2000"), ("a\x00b", "NUL")])
def test_bad_notes_are_refused_and_nothing_is_written(org_a, notes, said):
    contact = contact_create(organization=org_a.organization, phone="+14155550123")
    with pytest.raises(ServiceError, match=said):
        contact_update(contact=contact, first_name="Ada", notes=notes)
    assert Contact.objects.get(pk=contact.pk).first_name == ""


def test_the_database_refuses_notes_too_long(org_a):
    contact = contact_create(organization=org_a.organization, phone="+14155550123")
    with refused_by("contact_notes_length"), transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(notes="x" * (CONTACT_NOTES_MAX_LENGTH + 1))
