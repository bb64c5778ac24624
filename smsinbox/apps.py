from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _install_triggers(using: str = "default", **kwargs: Any) -> None:
    from smsinbox.db_triggers import install

    install(connections[using])


class SmsinboxConfig(AppConfig):
    name = "smsinbox"
    verbose_name = "Organizations and staff"

    def ready(self) -> None:
        from smsinbox import checks, signals  # noqa: F401 - checks registers the deployment checks

        signals.connect()
        from smsinbox.audit import signals as audit_signals

        audit_signals.connect()

        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="smsinbox.db_triggers")
