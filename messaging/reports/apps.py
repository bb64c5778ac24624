from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "messaging.reports"
    label = "reports"
    verbose_name = "Reports"
