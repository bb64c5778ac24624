"""``GET /session/``: whether this browser's session still signs someone in, for the inbox's live connection.

The page asks it once after its websocket was closed for a lost session (``static/js/live.js``): a password
changed in this very browser gives the session a new key, which closes the websockets opened with the old
one although the browser is still signed in. The page asks after a moment (``reconnect_base_ms``): a request
sent with the old key while the password change is still being answered would be signed out by Django
(any request: ``UserTimezoneMiddleware`` reads ``request.user``, whose check flushes a session whose hash
no longer matches). It says nothing but ``{"signedIn": true|false}`` about the caller's own session.
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from smsinbox.parsing import ascii_int
from smsinbox.web.consumers import session_user


@never_cache
@require_GET
def session_state(request: HttpRequest) -> JsonResponse:
    user_id = ascii_int(str(request.session.get(SESSION_KEY, "")))
    signed_in = user_id is not None and session_user(request.session.session_key, user_id)
    return JsonResponse({"signedIn": signed_in})
