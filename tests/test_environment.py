"""The suite gives the same result in any shell: the test settings clear what the settings read."""

import os

from django.conf import settings

from tests.settings import KEPT_VARIABLES, SETTINGS_VARIABLES


def test_every_variable_the_settings_read_is_known_and_only_the_services_are_kept():
    assert {"DEBUG", "PUBLIC_BASE_URL", "ALLOWED_HOSTS", "TWILIO_AUTH_TOKEN", "TRUSTED_PROXY", "SECRET_KEY"} <= (
        SETTINGS_VARIABLES
    )
    # DATABASE_PGBOUNCER says how DATABASE_URL is reached (through PgBouncer): part of the service.
    kept = {"DATABASE_URL", "DATABASE_PGBOUNCER", "REDIS_URL", "TEST_DATABASE_NAME"}
    assert kept == KEPT_VARIABLES & SETTINGS_VARIABLES
    for name in SETTINGS_VARIABLES - KEPT_VARIABLES - {"SECRET_KEY", "ALLOW_SQLITE"}:
        assert name not in os.environ, name


def test_the_settings_are_the_tests_own_whatever_the_shell_exported():
    assert settings.DEBUG is False
    assert settings.PUBLIC_BASE_URL == ""  # signatures are checked against the request's own URL
    assert settings.TRUSTED_PROXY is False
    assert settings.TWILIO_AUTH_TOKEN == "test-auth-token-0123456789abcdef"
    assert settings.SECRET_KEY.startswith("tests-only-secret-key-")
