import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from smsinbox.models import Organization, PhoneNumber


def run(*args: str) -> str:
    out = StringIO()
    call_command("setup_org", *args, stdout=out)
    return out.getvalue()


ARGS = (
    "--name",
    "Acme",
    "--number",
    "+14155550001",
    "--number",
    "+14155550002",
    "--username",
    "al",
    "--password",
    "pw-123456",
)


def test_prints_what_it_created_then_nothing_new(db):
    first = run(*ARGS)
    assert "created organization 'Acme'" in first
    assert "added number +14155550002" in first
    assert "created user 'al'" in first
    second = run(*ARGS)
    assert "found organization 'Acme'" in second
    assert "created" not in second
    assert "added" not in second
    assert PhoneNumber.objects.filter(organization__name="Acme").count() == 2


def test_malformed_number_is_a_command_error(db):
    with pytest.raises(CommandError, match="'not-a-number' is not a phone number"):
        run("--name", "Acme", "--number", "not-a-number", "--username", "al", "--password", "pw-123456")
    assert not Organization.objects.exists()


def test_malformed_number_exits_non_zero_from_the_shell(tmp_path):
    env = {"DEBUG": "1", "SQLITE_PATH": str(tmp_path / "db.sqlite3"), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=settings.BASE_DIR, check=True, timeout=120
    )
    proc = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "setup_org",
            "--name",
            "A",
            "--number",
            "555",
            "--username",
            "u",
            "--password",
            "p",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "'555'" in proc.stderr
