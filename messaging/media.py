"""The bytes of an inbound MMS's media, fetched from Twilio once and cached.

Only media Twilio attached to an inbound message is fetched, with the account's credentials, and
only when its URL is exactly that message's Media resource on our account
(``client.is_account_media_url``). Media staff attached to an outbound MMS is a public URL of
theirs: it is never fetched with our credentials (the media route redirects to it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.cache import caches

from messaging.models import Direction, MessageMedia
from messaging.twilio import client

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaContent:
    content_type: str
    body: bytes


class MediaUnavailable(Exception):
    """The media cannot be served: ``reason`` is ``not_ours`` (an unexpected URL) or ``unreachable``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def media_is_public(media: MessageMedia) -> bool:
    """Media of an outbound message: the staff member's own public URL, linked to as it is."""
    return media.message.direction == Direction.OUTBOUND


def media_content(*, media: MessageMedia) -> MediaContent:
    """The bytes of an inbound message's media (from the ``media`` cache, else from Twilio).

    Raises ``MediaUnavailable`` for a URL that is not this message's Media resource at Twilio, or
    when Twilio does not hand it over.
    """
    message = media.message
    if not message.twilio_sid or not client.is_account_media_url(media.url, message_sid=message.twilio_sid):
        logger.warning("media %s of message %s has an unexpected URL: not fetched", media.position, message.pk)
        raise MediaUnavailable("not_ours")
    cache = caches["media"]
    key = f"media:{media.pk}"
    cached = cache.get(key)
    if cached is None:
        cached = client.fetch_media(media.url)
        if cached is None:
            logger.warning("media %s of message %s could not be fetched", media.position, message.pk)
            raise MediaUnavailable("unreachable")
        cache.set(key, cached)
    return MediaContent(*cached)
