from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from messaging.intake.services import check_intake
        from smsinbox.ops.health import CHECKS

        CHECKS["intake"] = check_intake  # /readyz: the webhook posts not yet applied
