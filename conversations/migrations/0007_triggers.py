"""The triggers defined beside this app's models (``TRIGGERS``), frozen as they are installed."""

from django.db import migrations

import smsinbox.db_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0006_conversation_version"),
    ]

    operations = [
        smsinbox.db_triggers.InstallTriggers(
            definitions=[
                smsinbox.db_triggers.Trigger(
                    events=("INSERT", "UPDATE"),
                    message="a conversation's contact and number belong to its organization, which never changes",
                    name="conversation_same_organization",
                    table="conversations_conversation",
                    timing="BEFORE",
                    when="(SELECT organization_id FROM conversations_contact WHERE id = NEW.contact_id) <> NEW.organization_id OR (SELECT organization_id FROM smsinbox_phonenumber WHERE id = NEW.phone_number_id) <> NEW.organization_id OR (OLD.organization_id IS NOT NULL AND OLD.organization_id <> NEW.organization_id)",
                ),
                smsinbox.db_triggers.Trigger(
                    events=("UPDATE OF organization_id",),
                    message="a contact with conversations cannot move to another organization",
                    name="contact_organization_fixed",
                    table="conversations_contact",
                    timing="BEFORE",
                    when="NEW.organization_id <> OLD.organization_id AND EXISTS (SELECT 1 FROM conversations_conversation WHERE contact_id = OLD.id)",
                ),
                smsinbox.db_triggers.Trigger(
                    events=("UPDATE OF organization_id",),
                    message="a number with conversations cannot move to another organization",
                    name="phonenumber_organization_fixed",
                    table="smsinbox_phonenumber",
                    timing="BEFORE",
                    when="NEW.organization_id <> OLD.organization_id AND EXISTS (SELECT 1 FROM conversations_conversation WHERE phone_number_id = OLD.id)",
                ),
                smsinbox.db_triggers.VersionBump(
                    column="version", name="conversation_version_bump", table="conversations_conversation"
                ),
            ],
        ),
    ]
