"""Invariants held by database triggers, on SQLite and PostgreSQL alike."""

import pytest
from django.db import IntegrityError, connection, transaction

from conversations.models import Contact, Conversation
from conversations.services import contact_get_or_create
from messaging.models import Message
from smsinbox.db_triggers import install, installed_names, triggers
from smsinbox.models import PhoneNumber

EXPECTED = {t.name for t in triggers()}


def refused():
    return pytest.raises(IntegrityError)


def test_every_trigger_is_installed_after_migrate(db):
    assert installed_names(connection) >= EXPECTED


def test_a_dropped_trigger_comes_back_on_install(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER message_same_organization_0")
            cursor.execute("DROP TRIGGER message_same_organization_1")
        else:
            cursor.execute("DROP TRIGGER message_same_organization ON messaging_message")
    assert "message_same_organization" not in installed_names(connection)
    install(connection)
    assert installed_names(connection) >= EXPECTED


def test_conversation_with_a_contact_of_another_organization_is_refused(org_a, org_b):
    foreign, _ = contact_get_or_create(organization=org_b.organization, e164="+14155550101")
    with refused(), transaction.atomic():
        Conversation.objects.create(
            organization=org_a.organization, contact=foreign, phone_number=org_a.organization.phone_numbers.get()
        )


def test_conversation_with_a_number_of_another_organization_is_refused(org_a, org_b):
    contact, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550101")
    with refused(), transaction.atomic():
        Conversation.objects.create(
            organization=org_a.organization, contact=contact, phone_number=org_b.organization.phone_numbers.get()
        )


def test_message_in_a_conversation_of_another_organization_is_refused(conversation_a, org_b):
    with refused(), transaction.atomic():
        Message.objects.create(
            organization=org_b.organization,
            conversation=conversation_a,
            direction="out",
            from_number="+14155550001",
            to_number="+14155550101",
            status="pending",
        )


def test_conversation_cannot_change_organization(conversation_a, org_b):
    with refused(), transaction.atomic():
        Conversation.objects.filter(pk=conversation_a.pk).update(organization=org_b.organization)


def test_contact_with_a_conversation_cannot_move_but_a_fresh_one_can(conversation_a, org_a, org_b):
    with refused(), transaction.atomic():
        Contact.objects.filter(pk=conversation_a.contact_id).update(organization=org_b.organization)
    lonely, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550111")
    Contact.objects.filter(pk=lonely.pk).update(organization=org_b.organization)


def test_number_with_conversations_cannot_move(conversation_a, org_b):
    with refused(), transaction.atomic():
        PhoneNumber.objects.filter(pk=conversation_a.phone_number_id).update(organization=org_b.organization)


def test_messaging_service_belongs_to_one_organization(org_a, org_b):
    service = "MG" + "b" * 32
    PhoneNumber.objects.filter(organization=org_a.organization).update(messaging_service_sid=service)
    PhoneNumber.objects.create(organization=org_a.organization, number="+14155550002", messaging_service_sid=service)
    with refused(), transaction.atomic():
        PhoneNumber.objects.filter(organization=org_b.organization).update(messaging_service_sid=service)
    with refused(), transaction.atomic():
        PhoneNumber.objects.create(
            organization=org_b.organization, number="+12125550003", messaging_service_sid=service
        )


def test_status_read_only_after_reaching_the_handset(conversation_a):
    message = Message.objects.create(
        organization=conversation_a.organization,
        conversation=conversation_a,
        direction="out",
        twilio_sid="SM" + "1" * 32,
        from_number="+14155550001",
        to_number="+14155550101",
        status="failed",
    )
    with refused(), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(status="read")
