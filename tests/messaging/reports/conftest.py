from tests.messaging.reports.helpers import clock  # noqa: F401 (a fixture)
