"""The triggers defined beside this app's models (``TRIGGERS``), frozen as they are installed."""

from django.db import migrations

import smsinbox.db_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("smsinbox", "0004_user_time_zone_browser_default"),
    ]

    operations = [
        smsinbox.db_triggers.InstallTriggers(
            definitions=[
                smsinbox.db_triggers.Trigger(
                    events=("INSERT", "UPDATE"),
                    message="this Messaging Service belongs to another organization",
                    name="phonenumber_service_one_organization",
                    table="smsinbox_phonenumber",
                    timing="BEFORE",
                    when="NEW.messaging_service_sid <> '' AND EXISTS (SELECT 1 FROM smsinbox_phonenumber other WHERE other.messaging_service_sid = NEW.messaging_service_sid AND other.organization_id <> NEW.organization_id)",
                )
            ],
        ),
    ]
