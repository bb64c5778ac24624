"""ASGI entry point: ``uvicorn smsinbox.asgi:application`` (production) or ``manage.py runserver``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsinbox.settings")

# Initialise Django before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app})

if settings.TASKS_IN_SERVER_PROCESS:
    from smsinbox.embedded import EmbeddedWorkerMiddleware

    application = EmbeddedWorkerMiddleware(application)
