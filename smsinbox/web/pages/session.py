"""``GET /session/``: whether this browser's session still signs someone in, for the inbox's live connection.

The page asks it once after its websocket was closed for a lost session (``static/js/live.js``): a password
changed in this very browser gives the session a new key, which closes the websockets opened with the old
one although the browser is still signed in. The page asks after a moment (``reconnect_base_ms``): a request
sent with the old key while the password change is still being answered would be signed out by Django
(any request: ``UserTimezoneMiddleware`` reads ``request.user``, whose check flushes a session whose hash
no longer matches). It says nothing but ``{"signedIn": true|false, "expiresIn": seconds|null,
"renewable": bool}`` about the caller's own session: how long until it ends (``smsinbox.session_limits``;
``null``: no limit) and whether activity postpones that (``false`` when the maximum age comes first).

``GET`` is the page's background question and is not the user's activity; ``POST`` is ("Stay signed in",
``static/js/idle.js``): the session's idle clock starts again (``SessionLimitsMiddleware``).
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from smsinbox import session_limits
from smsinbox.parsing import ascii_int
from smsinbox.web.consumers import session_user


@never_cache
@require_http_methods(["GET", "POST"])
def session_state(request: HttpRequest) -> JsonResponse:
    user_id = ascii_int(str(request.session.get(SESSION_KEY, "")))
    signed_in = user_id is not None and session_user(request.session.session_key, user_id)
    if not signed_in or user_id is None:
        return JsonResponse({"signedIn": False, "expiresIn": None, "renewable": False})
    left, renewable = session_limits.remaining(
        request.session, session_limits.limits_for_user(user_id), session_limits.clock()
    )
    return JsonResponse({"signedIn": True, "expiresIn": None if left is None else round(left), "renewable": renewable})
