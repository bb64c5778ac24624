"""Invariants held by database triggers, on SQLite and PostgreSQL alike."""

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import F

from conversations.models import Contact, Conversation
from conversations.services import contact_get_or_create
from messaging.models import Message
from smsinbox.db_triggers import InstallTriggers, Trigger, defined_triggers, install, installed_names
from smsinbox.models import PhoneNumber
from tests.db_errors import refused_by

# Written out here, not read from the code under test: a trigger dropped from a model module's TRIGGERS
# (or never installed) fails these tests.
EXPECTED = {
    # smsinbox.models
    "phonenumber_service_one_organization",
    # smsinbox.audit.models
    "auditentry_append_only",
    # conversations.models
    "conversation_same_organization",
    "contact_organization_fixed",
    "phonenumber_organization_fixed",
    "conversation_version_bump",
    "note_same_organization",
    "note_author_member",
    "note_mention_member",
    "canned_owner_member",
    "conversation_label_same_organization",
    "contact_label_same_organization",
    "label_organization_fixed",
    "saved_view_same_organization",
    "saved_view_owner_member",
    "conversation_event_same_organization",
    "contact_phone_not_alias",
    "contact_alias_consistent",
    # messaging.models
    "messaging_message_status_forward_only",
    "message_same_organization",
    # messaging.intake.models (Maintain: wakes the intake processors on PostgreSQL)
    "webhookpost_notify",
    # messaging.reports.models (Maintain: the reports' rollups)
    "report_message_insert",
    "report_message_update",
    "report_message_delete",
    "report_contact_insert",
    "report_contact_delete",
    "report_conversation_delete",
    "report_inbound_waits",
    "report_first_response",
    "report_close",
    "report_opt_out",
}


def test_every_trigger_is_defined():
    """A new trigger is added here too; one dropped from the code fails."""
    assert {t.name for t in defined_triggers()} == EXPECTED


def test_every_trigger_is_installed_after_migrate(db):
    assert installed_names(connection) >= EXPECTED


def test_a_refusal_names_its_trigger(conversation_a, org_b):
    """The error starts with the trigger's name on both vendors (tests/db_errors.py matches it)."""
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        Conversation.objects.filter(pk=conversation_a.pk).update(organization=org_b.organization)
    assert str(refusal.value).startswith(
        "conversation_same_organization: a conversation's contact and number belong to its organization"
    )


def _migrated_definitions(app_label: str) -> dict[str, object]:
    """The triggers an app's migrations install, as the last migration to name each left it."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found: dict[str, object] = {}
    for key in loader.graph.forwards_plan(loader.graph.leaf_nodes(app_label)[0]):
        if key[0] != app_label:
            continue
        for operation in loader.graph.nodes[key].operations:
            if isinstance(operation, InstallTriggers):
                found.update({d.name: d for d in operation.definitions})
    return found


@pytest.mark.parametrize("app_label", ["smsinbox", "conversations", "messaging", "reports"])
def test_each_apps_triggers_are_defined_once_and_migrated_as_defined(app_label):
    """A change to a model module's ``TRIGGERS`` needs a migration, as a changed constraint does."""
    defined = {d.name: d for d in apps.get_app_config(app_label).models_module.TRIGGERS}
    assert defined
    assert _migrated_definitions(app_label) == defined


def test_a_trigger_name_belongs_to_one_app():
    names = [d.name for d in defined_triggers()]
    assert len(names) == len(set(names))


def test_the_migration_check_sees_a_changed_definition():
    defined = {d.name: d for d in apps.get_app_config("messaging").models_module.TRIGGERS}
    first = next(iter(defined.values()))
    changed = {**defined, first.name: Trigger(first.name, first.table, first.events, "FALSE", first.message)}
    assert _migrated_definitions("messaging") != changed


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


def test_a_dropped_version_bump_comes_back_on_install(conversation_a):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER conversation_version_bump_0")
        else:
            cursor.execute("DROP TRIGGER conversation_version_bump ON conversations_conversation")
    Conversation.objects.filter(pk=conversation_a.pk).update(unread_count=1)
    assert version_of(conversation_a) == 0
    install(connection)
    Conversation.objects.filter(pk=conversation_a.pk).update(unread_count=2)
    assert version_of(conversation_a) == 1


def test_conversation_with_a_contact_of_another_organization_is_refused(org_a, org_b):
    foreign, _ = contact_get_or_create(organization=org_b.organization, e164="+14155550101")
    with refused_by("conversation_same_organization"), transaction.atomic():
        Conversation.objects.create(
            organization=org_a.organization, contact=foreign, phone_number=org_a.organization.phone_numbers.get()
        )


def test_conversation_with_a_number_of_another_organization_is_refused(org_a, org_b):
    contact, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550101")
    with refused_by("conversation_same_organization"), transaction.atomic():
        Conversation.objects.create(
            organization=org_a.organization, contact=contact, phone_number=org_b.organization.phone_numbers.get()
        )


def test_message_in_a_conversation_of_another_organization_is_refused(conversation_a, org_b):
    with refused_by("message_same_organization"), transaction.atomic():
        Message.objects.create(
            organization=org_b.organization,
            conversation=conversation_a,
            direction="out",
            from_number="+14155550001",
            to_number="+14155550101",
            status="pending",
        )


def test_conversation_cannot_change_organization(conversation_a, org_b):
    with refused_by("conversation_same_organization"), transaction.atomic():
        Conversation.objects.filter(pk=conversation_a.pk).update(organization=org_b.organization)


def test_contact_with_a_conversation_cannot_move_but_a_fresh_one_can(conversation_a, org_a, org_b):
    with refused_by("contact_organization_fixed"), transaction.atomic():
        Contact.objects.filter(pk=conversation_a.contact_id).update(organization=org_b.organization)
    lonely, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550111")
    Contact.objects.filter(pk=lonely.pk).update(organization=org_b.organization)


def test_number_with_conversations_cannot_move(conversation_a, org_b):
    with refused_by("phonenumber_organization_fixed"), transaction.atomic():
        PhoneNumber.objects.filter(pk=conversation_a.phone_number_id).update(organization=org_b.organization)


def test_messaging_service_belongs_to_one_organization(org_a, org_b):
    service = "MG" + "b" * 32
    PhoneNumber.objects.filter(organization=org_a.organization).update(messaging_service_sid=service)
    PhoneNumber.objects.create(organization=org_a.organization, number="+14155550002", messaging_service_sid=service)
    with refused_by("phonenumber_service_one_organization"), transaction.atomic():
        PhoneNumber.objects.filter(organization=org_b.organization).update(messaging_service_sid=service)
    with refused_by("phonenumber_service_one_organization"), transaction.atomic():
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
    with refused_by("messaging_message_status_forward_only"), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(status="read")


def version_of(conversation: Conversation) -> int:
    return Conversation.objects.values_list("version", flat=True).get(pk=conversation.pk)


def test_every_update_of_a_conversation_raises_its_version_by_one(conversation_a, org_a):
    assert version_of(conversation_a) == 0  # an INSERT starts at the default
    Conversation.objects.filter(pk=conversation_a.pk).update(unread_count=F("unread_count") + 1)
    assert version_of(conversation_a) == 1
    Conversation.objects.filter(pk=conversation_a.pk).update(status="open")  # the same value: still an update
    assert version_of(conversation_a) == 2
    conversation_a.save()  # the whole row, with the version the instance had (0)
    assert version_of(conversation_a) == 3
    Conversation.objects.filter(pk=conversation_a.pk).update(version=42)  # whatever the statement sets
    assert version_of(conversation_a) == 4
    Conversation.objects.filter(pk=conversation_a.pk).update(version=F("version") + 10)
    assert version_of(conversation_a) == 5


def test_the_version_counts_the_rows_own_updates_only(conversation_a, org_a):
    other_contact, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550102")
    other = Conversation.objects.create(
        organization=org_a.organization, contact=other_contact, phone_number=conversation_a.phone_number
    )
    Conversation.objects.filter(pk=other.pk).update(unread_count=3)
    assert Conversation.objects.filter(organization=org_a.organization).update(status="closed") == 2
    assert (version_of(conversation_a), version_of(other)) == (1, 2)
    # A conditional UPDATE that matches no row changes nothing and still counts 0 (mark-read relies on it):
    assert Conversation.objects.filter(pk=conversation_a.pk, unread_count__gt=0).update(unread_count=0) == 0
    assert version_of(conversation_a) == 1


def test_a_refused_update_does_not_raise_the_version(conversation_a, org_b):
    with refused_by("conversation_same_organization"), transaction.atomic():
        Conversation.objects.filter(pk=conversation_a.pk).update(organization=org_b.organization)
    assert version_of(conversation_a) == 0


def test_sqlite_runs_the_version_bump_once_per_update(db):
    """The SQLite bump is an UPDATE inside an AFTER UPDATE trigger: it must not fire itself again."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA recursive_triggers")
        assert cursor.fetchone()[0] == 0
