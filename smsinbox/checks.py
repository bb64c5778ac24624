"""Deployment checks (``manage.py check --deploy``): what production cannot run without."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def production_configuration(app_configs: Any = None, **kwargs: Any) -> list:
    problems = []
    if not settings.PUBLIC_BASE_URL.startswith("https://"):
        problems.append(
            Error(
                "PUBLIC_BASE_URL must be the public https:// origin Twilio calls.",
                hint="For example PUBLIC_BASE_URL=https://inbox.example.com",
                id="smsinbox.E001",
            )
        )
    if not settings.TWILIO_ACCOUNT_SID or not settings.TWILIO_AUTH_TOKEN:
        problems.append(
            Error(
                "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set: webhooks cannot be verified without them.",
                id="smsinbox.E002",
            )
        )
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):  # Django's or smsinbox.postgresql
        problems.append(Warning("Production should run on PostgreSQL (DATABASE_URL).", id="smsinbox.W001"))
    if settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer":
        problems.append(
            Error(
                "REDIS_URL is not set: live updates would reach only browsers of the same server process.",
                hint="Set REDIS_URL: server processes and task workers share live events through Redis.",
                id="smsinbox.E003",
            )
        )
    return problems
