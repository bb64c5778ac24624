from django.apps import AppConfig


class WebConfig(AppConfig):
    """The faces (pages, API, websocket, admin) as an app, so ``smsinbox.web.admin`` is autodiscovered."""

    name = "smsinbox.web"
    label = "web"
    verbose_name = "smsinbox web"
