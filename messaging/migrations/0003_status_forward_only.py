"""A trigger that makes the database refuse any status change that is not forward (history:
the definition in force is `messaging.models.TRIGGERS`, installed by 0007_triggers).

Forward means a strictly higher ``status_rank`` (derived from ``messaging.statuses``) and
never out of ``canceled``. Services already update conditionally, so this only fires on a
bug or a hand-written UPDATE; it raises an integrity error instead of corrupting history.
"""

from django.db import migrations

CONDITION = "NEW.status <> OLD.status AND (NEW.status_rank <= OLD.status_rank OR OLD.status = 'canceled')"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION messaging_message_status_forward_only() RETURNS trigger AS $$
BEGIN
    IF {CONDITION} THEN
        RAISE EXCEPTION 'message % status may only move forward (% -> %)', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER messaging_message_status_forward_only
    AFTER UPDATE OF status ON messaging_message
    FOR EACH ROW EXECUTE FUNCTION messaging_message_status_forward_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS messaging_message_status_forward_only ON messaging_message;
DROP FUNCTION IF EXISTS messaging_message_status_forward_only();
"""
SQLITE_UP = f"""
CREATE TRIGGER messaging_message_status_forward_only
AFTER UPDATE OF status ON messaging_message
FOR EACH ROW WHEN {CONDITION}
BEGIN
    SELECT RAISE(ABORT, 'message status may only move forward');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS messaging_message_status_forward_only;"


def install(apps, schema_editor):
    sql = {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}.get(schema_editor.connection.vendor)
    if sql is None:
        raise RuntimeError(f"No status trigger for database {schema_editor.connection.vendor!r}.")
    schema_editor.execute(sql, params=None)  # no placeholders: RAISE uses % itself


def uninstall(apps, schema_editor):
    sql = {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}[schema_editor.connection.vendor]
    schema_editor.execute(sql, params=None)  # no placeholders: RAISE uses % itself


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_initial")]

    operations = [migrations.RunPython(install, uninstall)]
