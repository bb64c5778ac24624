"""The triggers defined beside this app's models (``TRIGGERS``), frozen as they are installed."""

from django.db import migrations

import smsinbox.db_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0006_message_needs_lookup"),
    ]

    operations = [
        smsinbox.db_triggers.InstallTriggers(
            definitions=[
                smsinbox.db_triggers.Trigger(
                    events=("UPDATE OF status",),
                    message="message status may only move forward",
                    name="messaging_message_status_forward_only",
                    table="messaging_message",
                    timing="AFTER",
                    when="NEW.status <> OLD.status AND (NEW.status_rank <= OLD.status_rank OR OLD.status = 'canceled' OR (NEW.status = 'read' AND OLD.status IN ('canceled', 'failed', 'received', 'receiving', 'undelivered')))",
                ),
                smsinbox.db_triggers.Trigger(
                    events=("INSERT", "UPDATE"),
                    message="a message belongs to its conversation's organization",
                    name="message_same_organization",
                    table="messaging_message",
                    timing="BEFORE",
                    when="(SELECT organization_id FROM conversations_conversation WHERE id = NEW.conversation_id) <> NEW.organization_id",
                ),
            ],
        ),
    ]
