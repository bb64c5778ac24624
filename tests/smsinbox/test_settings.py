"""Settings read from the environment: production passes `check --deploy`, refuses to start without a secret."""

import json
import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "pr0duction-" + "k3y-" * 14,
    "ALLOWED_HOSTS": "inbox.example.com",
    "PUBLIC_BASE_URL": "https://inbox.example.com",
    "TRUSTED_PROXY": "1",
    "DATABASE_URL": "postgres://smsinbox:secret@db.internal:5432/smsinbox",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "0" * 32,
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**base, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def shell_json(expression: str, env: dict[str, str]) -> object:
    proc = manage(
        "shell",
        "-c",
        f"import json; from django.conf import settings as s; print(json.dumps({expression}, default=repr))",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_production_settings_pass_check_deploy():
    proc = manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues (0 silenced)." in proc.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    proc = manage("check", env=env)
    assert proc.returncode != 0
    assert "SECRET_KEY is not set" in proc.stderr


def test_database_url_enables_the_pool_without_persistent_connections():
    db = shell_json("s.DATABASES['default']", PRODUCTION)
    assert db["ENGINE"] == "smsinbox.postgresql"  # Django's, with the pool wait bounded by the request's deadline
    assert db["CONN_MAX_AGE"] == 0
    assert db["OPTIONS"]["pool"]["timeout"] <= 4
    assert (db["HOST"], db["NAME"]) == ("db.internal", "smsinbox")


def test_behind_pgbouncer_nothing_outlives_a_transaction():
    plain = shell_json("s.DATABASES['default']", PRODUCTION)
    assert not plain["DISABLE_SERVER_SIDE_CURSORS"]
    assert "lock_timeout" in plain["OPTIONS"]["options"]
    db = shell_json("s.DATABASES['default']", {**PRODUCTION, "DATABASE_PGBOUNCER": "1"})
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["OPTIONS"]["prepare_threshold"] is None
    assert "options" not in db["OPTIONS"]  # PgBouncer refuses the startup parameter
    assert db["OPTIONS"]["pool"]["timeout"] <= 4


def test_redis_url_selects_the_redis_channel_layer():
    layers = shell_json("s.CHANNEL_LAYERS['default']['BACKEND']", PRODUCTION)
    assert layers == "channels_redis.core.RedisChannelLayer"


def test_embedded_default_is_sqlite_and_in_memory_layer(tmp_path):
    env = {"DEBUG": "1", "SQLITE_PATH": str(tmp_path / "x.sqlite3")}
    got = shell_json(
        "[s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.PUBLIC_BASE_URL, "
        "s.PHONENUMBER_DEFAULT_REGION]",
        env,
    )
    assert got == ["django.db.backends.sqlite3", "channels.layers.InMemoryChannelLayer", "http://127.0.0.1:8000", "US"]


def test_a_non_postgres_database_url_is_refused():
    proc = manage("check", env={**PRODUCTION, "DATABASE_URL": "mysql://u@h/db"})
    assert proc.returncode != 0
    assert "DATABASE_URL must be a postgres:// URL" in proc.stderr


def test_a_bad_boolean_is_a_clear_error():
    proc = manage("check", env={**PRODUCTION, "TRUSTED_PROXY": "maybe"})
    assert proc.returncode != 0
    assert "TRUSTED_PROXY='maybe' is not a boolean" in proc.stderr


def test_check_deploy_names_what_production_is_missing():
    env = {**PRODUCTION, "PUBLIC_BASE_URL": "http://inbox.example.com", "TWILIO_AUTH_TOKEN": "", "ALLOW_SQLITE": "1"}
    del env["DATABASE_URL"], env["REDIS_URL"]
    proc = manage("check", "--deploy", env=env)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for check in ("smsinbox.E001", "smsinbox.E002", "smsinbox.W001", "smsinbox.E003"):
        assert check in output


def test_production_refuses_sqlite_unless_allowed():
    env = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    proc = manage("check", env=env)
    assert proc.returncode != 0
    assert "DATABASE_URL is not set" in proc.stderr


def test_with_nothing_configured_manage_py_runs_the_embedded_default(tmp_path):
    got = shell_json("[s.DEBUG, s.DATABASES['default']['ENGINE']]", {"SQLITE_PATH": str(tmp_path / "x.sqlite3")})
    assert got == [True, "django.db.backends.sqlite3"]


def test_any_production_variable_turns_debug_off_by_default():
    proc = manage("check", env={"DATABASE_URL": PRODUCTION["DATABASE_URL"]})
    assert proc.returncode != 0
    assert "SECRET_KEY is not set" in proc.stderr


def test_the_defaults_the_readme_states_are_the_settings_defaults():
    """The README's environment table says each default in parentheses, and the inbox section the lockout:
    read both from the README (not from the settings) and compare with production settings left unset."""
    import re
    from pathlib import Path

    readme = (Path(settings.BASE_DIR) / "README.md").read_text()

    def table_default(name: str) -> float:
        row = re.search(rf"^\| `{name}` \|[^|\n]*?\((\d+(?:\.\d+)?)\)", readme, re.M)
        assert row, f"the README's environment table states no default for {name}"
        return float(row.group(1))

    lockout = re.search(r"after (\d+) wrong passwords.*?locked out for (\d+) minutes", readme, re.S)
    assert lockout
    stated = [
        table_default("WEBHOOK_DATABASE_DEADLINE_SECONDS"),
        table_default("DB_LOCK_TIMEOUT_MS"),
        table_default("TWILIO_HTTP_TIMEOUT"),
        table_default("RECONCILE_AFTER_SECONDS"),
        float(lockout.group(1)),
        float(lockout.group(2)),
    ]
    actual = shell_json(
        "[s.WEBHOOK_DATABASE_DEADLINE_SECONDS, s.DB_LOCK_TIMEOUT_MS, s.TWILIO_HTTP_TIMEOUT, "
        "s.RECONCILE_AFTER_SECONDS, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds() / 60]",
        PRODUCTION,
    )
    assert [float(v) for v in actual] == stated == [3.5, 3000, 10, 120, 5, 15]
