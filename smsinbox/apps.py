from django.apps import AppConfig


class SmsinboxConfig(AppConfig):
    name = "smsinbox"
    verbose_name = "Organizations and staff"
