"""Test settings: the real settings module, read from the same environment, plus test-only values.

With no services set, tests run on SQLite (in memory) and the in-memory channel layer; with
``DATABASE_URL`` / ``REDIS_URL`` set they run against PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOW_SQLITE", "1")  # without DATABASE_URL, tests run on SQLite

from smsinbox.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
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
