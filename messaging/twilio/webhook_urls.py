"""Where Twilio reaches us: the public URL of each of our webhooks, built from its route.

The paths live only in ``messaging/twilio/urls.py`` (the ``twilio`` namespace); everything that
hands Twilio a URL — a send's status callback, ``configure_twilio_webhooks``, the local emulator's
numbers — builds it here with ``reverse()``, so a moved route moves every URL with it.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

Webhook = Literal["sms-incoming", "sms-status"]


def webhook_url(name: Webhook, *, base_url: str | None = None, **query: object) -> str:
    """The absolute URL of webhook ``name`` at ``base_url`` (default ``PUBLIC_BASE_URL``), with ``query``.

    Empty when there is no base URL: Twilio cannot reach an app that does not know its own address.
    """
    base_url = settings.PUBLIC_BASE_URL if base_url is None else base_url.rstrip("/")
    if not base_url:
        return ""
    url = base_url + reverse(f"twilio:{name}")
    return f"{url}?{urlencode(query)}" if query else url
