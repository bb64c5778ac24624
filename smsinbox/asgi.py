"""ASGI entry point: ``uvicorn smsinbox.asgi:application`` (production) or ``manage.py runserver``.

HTTP goes to Django; websockets (``ws/inbox/``) go through the allowed-hosts Origin check and
the session authentication of Django's auth, to the inbox consumer.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsinbox.settings")

# Initialise Django before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from smsinbox.web.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

if settings.TASKS_IN_SERVER_PROCESS:
    from smsinbox.embedded import EmbeddedWorkerMiddleware

    application = EmbeddedWorkerMiddleware(application)

# Everything loaded so far (Django, the apps, their modules) lives as long as the process: keep it
# out of the garbage collector's scans, so a full collection during a request stays short.
gc.freeze()
