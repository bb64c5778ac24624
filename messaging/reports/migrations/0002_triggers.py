"""The rollups' triggers (``messaging.reports.models.TRIGGERS``), frozen as installed, and the hourly
rollup computed once from the messages and contacts already stored."""

from django.db import migrations

import smsinbox.db_triggers


def _rebuild(apps, schema_editor):
    from messaging.reports.rebuild import rollups_rebuild

    rollups_rebuild(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("messaging", "0010_business_hours"),
        ("conversations", "0015_conversation_last_auto_reply"),
    ]

    operations = [
        smsinbox.db_triggers.InstallTriggers(
            definitions=[
                smsinbox.db_triggers.Maintain(
                    event="INSERT",
                    name="report_message_insert",
                    postgres="INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) VALUES (NEW.organization_id, (date_trunc('hour', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), NEW.direction || ':' || NEW.status, 1, NEW.num_segments, COALESCE(NEW.price, 0)) ON CONFLICT (organization_id, hour, key) DO UPDATE SET messages = reports_reporthour.messages + excluded.messages, segments = reports_reporthour.segments + excluded.segments, price = reports_reporthour.price + excluded.price;",
                    sqlite="INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) VALUES (NEW.organization_id, strftime('%Y-%m-%d %H:00:00', NEW.created_at), NEW.direction || ':' || NEW.status, 1, NEW.num_segments, COALESCE(NEW.price, 0)) ON CONFLICT (organization_id, hour, key) DO UPDATE SET messages = reports_reporthour.messages + excluded.messages, segments = reports_reporthour.segments + excluded.segments, price = reports_reporthour.price + excluded.price;",
                    table="messaging_message",
                    when="",
                ),
                smsinbox.db_triggers.Maintain(
                    event="UPDATE",
                    name="report_message_update",
                    postgres="UPDATE reports_reporthour SET messages = messages - 1, segments = segments - OLD.num_segments, price = price - COALESCE(OLD.price, 0) WHERE organization_id = OLD.organization_id AND hour = (date_trunc('hour', OLD.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AND key = OLD.direction || ':' || OLD.status; INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) VALUES (NEW.organization_id, (date_trunc('hour', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), NEW.direction || ':' || NEW.status, 1, NEW.num_segments, COALESCE(NEW.price, 0)) ON CONFLICT (organization_id, hour, key) DO UPDATE SET messages = reports_reporthour.messages + excluded.messages, segments = reports_reporthour.segments + excluded.segments, price = reports_reporthour.price + excluded.price;",
                    sqlite="UPDATE reports_reporthour SET messages = messages - 1, segments = segments - OLD.num_segments, price = price - COALESCE(OLD.price, 0) WHERE organization_id = OLD.organization_id AND hour = strftime('%Y-%m-%d %H:00:00', OLD.created_at) AND key = OLD.direction || ':' || OLD.status; INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) VALUES (NEW.organization_id, strftime('%Y-%m-%d %H:00:00', NEW.created_at), NEW.direction || ':' || NEW.status, 1, NEW.num_segments, COALESCE(NEW.price, 0)) ON CONFLICT (organization_id, hour, key) DO UPDATE SET messages = reports_reporthour.messages + excluded.messages, segments = reports_reporthour.segments + excluded.segments, price = reports_reporthour.price + excluded.price;",
                    table="messaging_message",
                    when="OLD.status <> NEW.status OR OLD.num_segments <> NEW.num_segments OR COALESCE(OLD.price, 0) <> COALESCE(NEW.price, 0) OR OLD.created_at <> NEW.created_at",
                ),
                smsinbox.db_triggers.Maintain(
                    event="DELETE",
                    name="report_message_delete",
                    postgres="UPDATE reports_reporthour SET messages = messages - 1, segments = segments - OLD.num_segments, price = price - COALESCE(OLD.price, 0) WHERE organization_id = OLD.organization_id AND hour = (date_trunc('hour', OLD.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AND key = OLD.direction || ':' || OLD.status;",
                    sqlite="UPDATE reports_reporthour SET messages = messages - 1, segments = segments - OLD.num_segments, price = price - COALESCE(OLD.price, 0) WHERE organization_id = OLD.organization_id AND hour = strftime('%Y-%m-%d %H:00:00', OLD.created_at) AND key = OLD.direction || ':' || OLD.status;",
                    table="messaging_message",
                    when="",
                ),
                smsinbox.db_triggers.Maintain(
                    event="INSERT",
                    name="report_inbound_waits",
                    postgres="INSERT INTO reports_reportawaiting (conversation_id, organization_id, since) VALUES (NEW.conversation_id, NEW.organization_id, NEW.created_at) ON CONFLICT (conversation_id) DO NOTHING; INSERT INTO reports_reportopen (conversation_id, organization_id, since) VALUES (NEW.conversation_id, NEW.organization_id, NEW.created_at) ON CONFLICT (conversation_id) DO NOTHING;",
                    sqlite="INSERT INTO reports_reportawaiting (conversation_id, organization_id, since) VALUES (NEW.conversation_id, NEW.organization_id, NEW.created_at) ON CONFLICT (conversation_id) DO NOTHING; INSERT INTO reports_reportopen (conversation_id, organization_id, since) VALUES (NEW.conversation_id, NEW.organization_id, NEW.created_at) ON CONFLICT (conversation_id) DO NOTHING;",
                    table="messaging_message",
                    when="NEW.direction = 'in'",
                ),
                smsinbox.db_triggers.Maintain(
                    event="INSERT",
                    name="report_first_response",
                    postgres="INSERT INTO reports_reportresponse (organization_id, conversation_id, responder_id, awaited_at, answered_at, seconds) SELECT organization_id, conversation_id, NEW.sent_by_id, since, NEW.created_at, EXTRACT(EPOCH FROM (NEW.created_at - since)) FROM reports_reportawaiting WHERE conversation_id = NEW.conversation_id; DELETE FROM reports_reportawaiting WHERE conversation_id = NEW.conversation_id;",
                    sqlite="INSERT INTO reports_reportresponse (organization_id, conversation_id, responder_id, awaited_at, answered_at, seconds) SELECT organization_id, conversation_id, NEW.sent_by_id, since, NEW.created_at, ((julianday(NEW.created_at) - julianday(since)) * 86400.0) FROM reports_reportawaiting WHERE conversation_id = NEW.conversation_id; DELETE FROM reports_reportawaiting WHERE conversation_id = NEW.conversation_id;",
                    table="messaging_message",
                    when="NEW.direction = 'out' AND NEW.sent_by_id IS NOT NULL AND NEW.status <> 'scheduled'",
                ),
                smsinbox.db_triggers.Maintain(
                    event="INSERT",
                    name="report_close",
                    postgres="INSERT INTO reports_reportclosure (organization_id, conversation_id, closed_by_id, opened_at, closed_at, seconds) SELECT organization_id, conversation_id, NEW.actor_id, since, NEW.created_at, EXTRACT(EPOCH FROM (NEW.created_at - since)) FROM reports_reportopen WHERE conversation_id = NEW.conversation_id; DELETE FROM reports_reportopen WHERE conversation_id = NEW.conversation_id;",
                    sqlite="INSERT INTO reports_reportclosure (organization_id, conversation_id, closed_by_id, opened_at, closed_at, seconds) SELECT organization_id, conversation_id, NEW.actor_id, since, NEW.created_at, ((julianday(NEW.created_at) - julianday(since)) * 86400.0) FROM reports_reportopen WHERE conversation_id = NEW.conversation_id; DELETE FROM reports_reportopen WHERE conversation_id = NEW.conversation_id;",
                    table="conversations_conversationevent",
                    when="NEW.kind = 'closed'",
                ),
                smsinbox.db_triggers.Maintain(
                    event="DELETE",
                    name="report_conversation_delete",
                    postgres="DELETE FROM reports_reportawaiting WHERE conversation_id = OLD.id; DELETE FROM reports_reportopen WHERE conversation_id = OLD.id; DELETE FROM reports_reportresponse WHERE conversation_id = OLD.id; DELETE FROM reports_reportclosure WHERE conversation_id = OLD.id;",
                    sqlite="DELETE FROM reports_reportawaiting WHERE conversation_id = OLD.id; DELETE FROM reports_reportopen WHERE conversation_id = OLD.id; DELETE FROM reports_reportresponse WHERE conversation_id = OLD.id; DELETE FROM reports_reportclosure WHERE conversation_id = OLD.id;",
                    table="conversations_conversation",
                    when="",
                ),
                smsinbox.db_triggers.Maintain(
                    event="INSERT",
                    name="report_contact_insert",
                    postgres="INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) VALUES (NEW.organization_id, (date_trunc('hour', NEW.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), 'contact', 1, 0, 0) ON CONFLICT (organization_id, hour, key) DO UPDATE SET messages = reports_reporthour.messages + excluded.messages, segments = reports_reporthour.segments + excluded.segments, price = reports_reporthour.price + excluded.price;",
                    sqlite="INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) VALUES (NEW.organization_id, strftime('%Y-%m-%d %H:00:00', NEW.created_at), 'contact', 1, 0, 0) ON CONFLICT (organization_id, hour, key) DO UPDATE SET messages = reports_reporthour.messages + excluded.messages, segments = reports_reporthour.segments + excluded.segments, price = reports_reporthour.price + excluded.price;",
                    table="conversations_contact",
                    when="",
                ),
                smsinbox.db_triggers.Maintain(
                    event="DELETE",
                    name="report_contact_delete",
                    postgres="UPDATE reports_reporthour SET messages = messages - 1, segments = segments - 0, price = price - 0 WHERE organization_id = OLD.organization_id AND hour = (date_trunc('hour', OLD.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AND key = 'contact';",
                    sqlite="UPDATE reports_reporthour SET messages = messages - 1, segments = segments - 0, price = price - 0 WHERE organization_id = OLD.organization_id AND hour = strftime('%Y-%m-%d %H:00:00', OLD.created_at) AND key = 'contact';",
                    table="conversations_contact",
                    when="",
                ),
                smsinbox.db_triggers.Maintain(
                    event="UPDATE",
                    name="report_opt_out",
                    postgres="INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) VALUES (NEW.organization_id, (date_trunc('hour', NEW.opted_out_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), 'opt_out', 1, 0, 0) ON CONFLICT (organization_id, hour, key) DO UPDATE SET messages = reports_reporthour.messages + excluded.messages, segments = reports_reporthour.segments + excluded.segments, price = reports_reporthour.price + excluded.price;",
                    sqlite="INSERT INTO reports_reporthour (organization_id, hour, key, messages, segments, price) VALUES (NEW.organization_id, strftime('%Y-%m-%d %H:00:00', NEW.opted_out_at), 'opt_out', 1, 0, 0) ON CONFLICT (organization_id, hour, key) DO UPDATE SET messages = reports_reporthour.messages + excluded.messages, segments = reports_reporthour.segments + excluded.segments, price = reports_reporthour.price + excluded.price;",
                    table="conversations_contact",
                    when="OLD.opted_out_at IS NULL AND NEW.opted_out_at IS NOT NULL",
                ),
            ]
        ),
        migrations.RunPython(_rebuild, migrations.RunPython.noop),
    ]
