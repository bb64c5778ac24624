"""``refused_by`` passes on the named rule's refusal only: another rule's, or a name's prefix, fails it."""

import pytest
from django.db import transaction

from conversations.models import Contact, Conversation, Label
from messaging.models import Message
from tests.db_errors import refused_by


def inbound_without_sid(conversation: Conversation) -> None:
    """Refused by ``message_inbound_has_sid`` (and nothing else)."""
    Message.objects.create(
        organization=conversation.organization,
        conversation=conversation,
        direction="in",
        from_number="+14155550101",
        to_number="+14155550001",
        status="received",
    )


def fails_the_match():  # type: ignore[no-untyped-def]
    """The refusal reached ``refused_by``, whose pattern did not match it: pytest's own failure."""
    return pytest.raises(AssertionError, match="Regex pattern did not match")


def test_a_check_constraint_by_its_name(conversation_a):
    with refused_by("message_inbound_has_sid"), transaction.atomic():
        inbound_without_sid(conversation_a)  # the positive control of the two below


@pytest.mark.parametrize("name", ["message_inbound_no_sender", "message_inbound", "inbound_has_sid"])
def test_another_check_constraint_or_a_part_of_the_name_fails(conversation_a, name):
    with fails_the_match(), refused_by(name), transaction.atomic():
        inbound_without_sid(conversation_a)


def test_a_unique_constraint_by_its_name_not_another_on_the_same_table(org_a):
    Contact.objects.create(organization=org_a.organization, phone="+14155550101")
    with refused_by("contact_unique_org_phone"), transaction.atomic():
        Contact.objects.create(organization=org_a.organization, phone="+14155550101")
    with fails_the_match(), refused_by("conversation_unique_org_contact"), transaction.atomic():
        Contact.objects.create(organization=org_a.organization, phone="+14155550101")


def test_a_unique_index_over_expressions_by_its_name(org_a):
    Label.objects.create(organization=org_a.organization, name="VIP")
    with refused_by("label_unique_org_name"), transaction.atomic():
        Label.objects.create(organization=org_a.organization, name="vip")
    with fails_the_match(), refused_by("label_name_not_blank"), transaction.atomic():
        Label.objects.create(organization=org_a.organization, name="vip")


def test_a_trigger_by_its_name_not_another_trigger(conversation_a, org_b):
    rows = Conversation.objects.filter(pk=conversation_a.pk)
    with refused_by("conversation_same_organization"), transaction.atomic():
        rows.update(organization=org_b.organization)
    with fails_the_match(), refused_by("message_same_organization"), transaction.atomic():
        rows.update(organization=org_b.organization)
