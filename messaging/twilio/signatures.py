"""``X-Twilio-Signature`` checks, with the ``twilio`` SDK's validator, in every environment.

The signature covers the exact public URL Twilio called and every POST field. That URL is
``PUBLIC_BASE_URL`` + path + query when configured; otherwise the request's own URL, where
``X-Forwarded-Proto`` / ``X-Forwarded-Host`` count only when ``TRUSTED_PROXY`` is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import escape_uri_path
from twilio.request_validator import RequestValidator


def auth_token_for_account(account_sid: str | None) -> str | None:
    """Return the auth token that signs requests for ``account_sid``, or ``None`` if it is not ours.

    The single place to look up tokens, so per-organization Twilio accounts can be added later.
    A request without ``AccountSid`` is checked against the configured account.
    """
    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        return None
    if account_sid and account_sid != settings.TWILIO_ACCOUNT_SID:
        return None
    return token


def public_url(request: HttpRequest) -> str:
    """Return the URL Twilio called for ``request``: scheme, host, path and query verbatim."""
    path = escape_uri_path(request.path)
    query = request.META.get("QUERY_STRING", "")
    suffix = f"{path}?{query}" if query else path
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/") + suffix
    scheme = "https" if request.is_secure() else "http"
    host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    if settings.TRUSTED_PROXY:
        forwarded_proto = request.META.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
        forwarded_host = request.META.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
        scheme = forwarded_proto if forwarded_proto in {"http", "https"} else scheme
        host = forwarded_host or host
    return f"{scheme}://{host}{suffix}"


def signature_is_valid(*, url: str, params: Mapping[str, Any], signature: str, auth_token: str) -> bool:
    """Check one signature with the SDK (it also tries the URL with and without the default port)."""
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def request_is_signed(request: HttpRequest, params: Mapping[str, Any] | None = None) -> bool:
    """Whether ``request`` carries a valid ``X-Twilio-Signature`` over all its POST fields.

    ``params``: those fields when the caller has already read them (the webhook views' parser);
    ``request.POST`` otherwise.
    """
    params = request.POST if params is None else params
    token = auth_token_for_account(params.get("AccountSid"))
    if token is None:
        return False
    return signature_is_valid(
        url=public_url(request),
        params=params,
        signature=request.headers.get("X-Twilio-Signature", ""),
        auth_token=token,
    )
