"""A broadcast's preview excludes the contacts Twilio Lookup said are landlines (``landline_contact_ids``)."""

from __future__ import annotations

import pytest

from conversations.services import contact_create
from messaging.broadcasts.services import broadcast_preview
from messaging.services.lookups import contact_line_type_check
from messaging.twilio.emulator.lookups import LANDLINE
from tests.pipeline import running_emulator

pytestmark = pytest.mark.django_db(transaction=True)


def test_known_landlines_are_excluded_and_counted(settings, org_a):
    organization = org_a.organization
    landline = contact_create(organization=organization, phone=LANDLINE)
    unchecked = contact_create(organization=organization, phone="+14155550131")
    mobile = contact_create(organization=organization, phone="+14155550132")
    with running_emulator(settings, numbers=[], callback_delay=0.0):
        for contact in (landline, mobile):
            contact_line_type_check(organization=organization, contact_id=contact.pk, actor=org_a.user)
    preview = broadcast_preview(
        organization=organization,
        user=org_a.user,
        body="We are open Saturday.",
        contact_ids=[landline.pk, unchecked.pk, mobile.pk],
    )
    counts = preview.as_dict()
    assert counts["recipients"] == 2  # never checked counts as textable
    assert counts["excluded"]["landline"] == 1
