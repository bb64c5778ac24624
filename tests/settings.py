"""Test settings: the real settings module, read from the same environment, plus test-only values.

With no services set, tests run on SQLite (in memory) and the in-memory channel layer; with
``DATABASE_URL`` / ``REDIS_URL`` set they run against PostgreSQL and Redis.
"""

import os
import re
from pathlib import Path

# The suite gives the same result in any shell: every variable the settings read is cleared here
# (DEBUG=1 or PUBLIC_BASE_URL exported by habit once failed every signed webhook test), except the
# services to test against. Cleared in this process, so servers and commands the tests start inherit
# the same clean environment. The names come from the settings module itself.
KEPT_VARIABLES = {"DATABASE_URL", "DATABASE_PGBOUNCER", "REDIS_URL", "TEST_DATABASE_NAME", "SMSINBOX_TEST_HANG_SECONDS"}
_SETTINGS_SOURCE = (Path(__file__).resolve().parent.parent / "smsinbox" / "settings.py").read_text()
_READ = r'(?:environ\.get|env_bool|env_list|env_int)\(\s*"([A-Z][A-Z0-9_]*)"'
_MARKERS = _SETTINGS_SOURCE.split("_PRODUCTION_MARKERS = ", 1)[1].split("\n", 1)[0]
SETTINGS_VARIABLES = set(re.findall(_READ, _SETTINGS_SOURCE)) | set(re.findall(r'"([A-Z][A-Z0-9_]*)"', _MARKERS))
for _name in SETTINGS_VARIABLES - KEPT_VARIABLES:
    os.environ.pop(_name, None)

os.environ["SECRET_KEY"] = "tests-only-secret-key-" + "x" * 40
os.environ["ALLOW_SQLITE"] = "1"  # without DATABASE_URL, tests run on SQLite

from smsinbox.settings import *  # noqa: E402, F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": __import__("tempfile").mkdtemp(prefix="smsinbox-attachments-"), "base_url": None},
    },
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A made-up test account: tests sign Twilio posts with this token; no test reaches real Twilio.
TWILIO_ACCOUNT_SID = "AC" + "0" * 31 + "1"
TWILIO_AUTH_TOKEN = "test-auth-token-0123456789abcdef"
WHITENOISE_AUTOREFRESH = True  # serve from the finders; no collectstatic in tests
TASKS_IN_SERVER_PROCESS = False  # tests run tasks themselves (tests/pipeline.py drains them with db_worker)
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]  # also read when smsinbox.asgi is imported
import tempfile  # noqa: E402

CACHES["media"] = {  # noqa: F405
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": tempfile.mkdtemp(prefix="smsinbox-media-cache-"),
}

# SQLite tests use a file, not Django's shared in-memory database: the live server, the emulator's status
# callbacks and task-worker threads then each open their own connection and wait on the write lock
# (IMMEDIATE transactions, busy timeout) instead of sharing one connection across threads — which failed
# under load with "cannot start a transaction within a transaction" and "database table is locked".
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and not DATABASES["default"].get("TEST", {}).get("NAME"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.mkdtemp(prefix="smsinbox-test-db-")) / "test.sqlite3")}  # noqa: F405
