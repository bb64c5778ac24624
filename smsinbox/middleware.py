"""Per-request settings for people: their time zone, and a strict Content-Security-Policy."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

TZ_COOKIE = "tz"  # set by static/js/times.js from the browser's Intl time zone


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class UserTimezoneMiddleware:
    """Show times in the user's chosen zone, else their browser's zone (cookie), else UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = getattr(request.user, "time_zone", "") if request.user.is_authenticated else ""
        zone = _zone(chosen) or _zone(request.COOKIES.get(TZ_COOKIE, ""))
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ContentSecurityPolicyMiddleware:
    """No inline scripts or styles, no third-party origins: our pages load only what we serve.

    Django admin keeps its own defaults (it uses inline scripts of its own).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/admin/") or "Content-Security-Policy" in response:
            return response
        host = request.get_host()
        response["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' ws://{host} wss://{host}; font-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        return response


class SessionLimitsMiddleware:
    """End a session idle too long or older than its maximum age; record the user's real requests as activity.

    See ``smsinbox.session_limits``. An ended session is logged out (``session.ended`` closes its websockets)
    and the request continues as anonymous: a page redirects to the login, a script's write gets its 401/403.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.contrib.auth import logout
        from django.urls import Resolver404, resolve

        from smsinbox import session_limits

        user = request.user
        if user.is_authenticated:
            now = session_limits.clock()
            limits = session_limits.limits_for_user(user.pk)
            if session_limits.ended(request.session, limits, now):
                logout(request)
            else:
                try:
                    name = resolve(request.path_info).url_name
                except Resolver404:
                    name = None
                background = name in session_limits.BACKGROUND and (name != "session-state" or request.method == "GET")
                session_limits.record(request.session, now, active=not background)
        return self.get_response(request)


# What a session that still owes its code step (or the set-up its organization requires) may reach.
TWO_FACTOR_OPEN = frozenset(
    {
        "login",
        "logout",
        "two-factor-verify",
        "two-factor",
        "two-factor-setup",
        "session-state",
        "favicon",
        "manifest",
        "service-worker",
        "healthz",
        "readyz",
        "metrics",
        "admin:logout",
    }
)


class TwoFactorMiddleware:
    """Hold a half-signed-in session at the code step (``smsinbox.two_factor``).

    After the password, a user with an authenticator gives a code; a member of an organization that requires
    two-factor sign-in and has no authenticator sets one up. Until then a page request is redirected there
    (``?next=`` kept) and any other request (the API, a script's fetch) answers 401. Django admin included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from urllib.parse import urlencode

        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import Resolver404, resolve, reverse

        from smsinbox import two_factor

        if not request.user.is_authenticated:
            return self.get_response(request)
        pending = two_factor.session_pending(request.user, request.session)
        if pending is None:
            return self.get_response(request)
        request.two_factor_pending = pending  # type: ignore[attr-defined]  # base.html hides the main menu
        try:
            match = resolve(request.path_info)
            name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        except Resolver404:
            name = None
        if name in TWO_FACTOR_OPEN:
            return self.get_response(request)
        wants_page = request.method == "GET" and "text/html" in request.headers.get("Accept", "text/html")
        if request.path_info.startswith("/api/") or not wants_page:
            return JsonResponse(
                {"error": "Finish signing in: two-factor code needed.", "code": "two_factor"}, status=401
            )
        target = reverse("two-factor-verify" if pending == two_factor.VERIFY else "two-factor")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
