"""Who an API call made with an organization API key is: ``KeyPrincipal``, the key standing where a user would.

A key belongs to one organization and to no staff member: ``organization_ids_for_user`` (``smsinbox.tenancy``)
gives a principal exactly its key's organization, so every selector that scopes by the caller scopes a key
the same way. It is never staff, never a superuser, has no id (nothing is stored as sent by a person), and
its scopes are checked per operation by the API (``smsinbox.web.api.keys``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from smsinbox.integrations.models import ApiKey
from smsinbox.integrations.services import KEY_PREFIX, key_hash

# ``last_used_at`` is written at most this often per key (a busy integration does not write on every call).
LAST_USED_PRECISION = timedelta(seconds=60)


class KeyPrincipal:
    """The caller of an API request authenticated by ``key``."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: ApiKey) -> None:
        self.api_key = key

    def get_username(self) -> str:
        return f"API key “{self.api_key.name}”"

    def get_full_name(self) -> str:
        return self.get_username()

    def __str__(self) -> str:
        return self.get_username()


class KeyRefused(Exception):
    """The key is unknown, revoked or expired (the message says which)."""


def api_key_authenticate(raw: str) -> KeyPrincipal | None:
    """The principal of a presented key; ``None`` when it is not one of ours (another scheme's token)."""
    if not raw.startswith(KEY_PREFIX):
        return None
    key = ApiKey.objects.filter(key_hash=key_hash(raw)).select_related("organization").first()
    now = timezone.now()
    if key is None:
        raise KeyRefused("Invalid API key.")
    if key.revoked_at is not None:
        raise KeyRefused("This API key was revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyRefused("This API key has expired.")
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return KeyPrincipal(key)


def key_of(user: object) -> ApiKey | None:
    """The key a request's user stands for, if it is a key."""
    return user.api_key if isinstance(user, KeyPrincipal) else None
