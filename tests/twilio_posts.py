"""Real-shaped, validly signed Twilio form posts for tests (one helper signs them all)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from smsinbox.events import frame, organization_group

_counter = itertools.count(1)


def new_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex


def sign(url: str, params: Mapping[str, Any] | Iterable[tuple[str, str]], token: str | None = None) -> str:
    """Twilio's signature for ``url`` and ``params`` (computed by the twilio SDK, as Twilio does)."""
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    grouped: dict[str, list[str]] = {}
    for key, value in items:
        grouped.setdefault(key, []).append(value)
    return RequestValidator(token or settings.TWILIO_AUTH_TOKEN).compute_signature(url, _MultiDict(grouped))


class _MultiDict(dict):
    def getlist(self, key: str) -> list[str]:
        return self[key]


def inbound_params(
    *,
    to: str,
    from_: str = "+14155550101",
    body: str = "Hello",
    sid: str | None = None,
    media: list[tuple[str, str]] = (),
    **extra: str,
) -> dict[str, str]:
    """An incoming-message webhook as Twilio posts it."""
    sid = sid or new_sid("MM" if media else "SM")
    params = {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": "SAN FRANCISCO",
        "FromZip": "94105",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "SAN FRANCISCO",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "MessagingServiceSid": "",
        "ToZip": "94105",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }
    del params["MessagingServiceSid"]
    for i, (url, content_type) in enumerate(media):
        params[f"MediaUrl{i}"] = url
        params[f"MediaContentType{i}"] = content_type
    params.update(extra)
    return params


def status_params(
    *, sid: str, status: str, to: str = "+14155550101", from_: str = "+14155550001", **extra: str
) -> dict[str, str]:
    """A status callback as Twilio posts it."""
    params = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def post_signed(
    client: Client,
    path: str,
    params: Mapping[str, str],
    *,
    query: str = "",
    signed_url: str | None = None,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
):
    """POST ``params`` form-encoded to ``path`` with a valid ``X-Twilio-Signature``."""
    full_path = f"{path}?{query}" if query else path
    url = signed_url or f"http://testserver{full_path}"
    return client.post(
        full_path,
        data=urlencode(list(params.items())),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(url, params, token), **(headers or {})},
    )


def post_inbound(client: Client, **kwargs: Any):
    return post_signed(client, reverse("twilio:sms-incoming"), inbound_params(**kwargs))


def post_status(client: Client, *, message_id: int | None = None, **kwargs: Any):
    query = urlencode({"m": message_id}) if message_id is not None else ""
    return post_signed(client, reverse("twilio:sms-status"), status_params(**kwargs), query=query)


def collect_live_events(organization_id: int, action: Callable[[], Any], *, quiet: float = 0.3) -> list[dict]:
    """Run ``action`` while listening to the organization's group on the real channel layer.

    Returns every event that arrived until the group was quiet for ``quiet`` seconds, as the inbox's
    websocket forwards it: ``{"type": <event name>, "payload": <camelCase payload>}`` (``events.frame``).
    """

    async def scenario() -> list[dict]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        group = organization_group(organization_id)
        await layer.group_add(group, channel)
        try:
            await sync_to_async(action)()
            received = []
            while True:
                try:
                    message = await asyncio.wait_for(layer.receive(channel), timeout=quiet)
                    received.append(frame(message) or message)
                except TimeoutError:
                    return received
        finally:
            await layer.group_discard(group, channel)

    return async_to_sync(scenario)()
