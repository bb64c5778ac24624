"""The Twilio REST API routes the emulator serves under ``/2010-04-01/Accounts/{AccountSid}``.

Every route requires HTTP Basic auth with the account SID and auth token (401, code 20003);
a path naming another account, or an unknown resource, is a 404 with code 20404.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .resources import API_ROOT, API_VERSION, NotFound, TwilioApiError, rfc2822, utcnow
from .server import Request, Response, json_response

if TYPE_CHECKING:
    from .emulator import TwilioEmulator

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_ACCOUNT_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/.]+)(?P<rest>\.json|/.*)$")
_SID = r"[A-Za-z0-9]+"
_ROUTES: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(r"^\.json$"), {"GET": "fetch_account"}),
    (re.compile(r"^/Messages\.json$"), {"GET": "list_messages", "POST": "create_message"}),
    (
        re.compile(rf"^/Messages/(?P<sid>{_SID})\.json$"),
        {"GET": "fetch_message", "POST": "update_message", "DELETE": "delete_message"},
    ),
    (re.compile(rf"^/Messages/(?P<sid>{_SID})/Media\.json$"), {"GET": "list_media"}),
    (
        re.compile(rf"^/Messages/(?P<sid>{_SID})/Media/(?P<media_sid>{_SID})\.json$"),
        {"GET": "fetch_media", "DELETE": "delete_media"},
    ),
    (re.compile(rf"^/Messages/(?P<sid>{_SID})/Media/(?P<media_sid>{_SID})$"), {"GET": "media_content"}),
    (re.compile(r"^/IncomingPhoneNumbers\.json$"), {"GET": "list_numbers", "POST": "create_number"}),
    (
        re.compile(rf"^/IncomingPhoneNumbers/(?P<sid>{_SID})\.json$"),
        {"GET": "fetch_number", "POST": "update_number", "DELETE": "delete_number"},
    ),
]
_FAULT_ERRORS = {
    429: (20429, "Too Many Requests"),
    503: (20503, "Service Unavailable"),
}


def error_response(error: TwilioApiError, headers: dict[str, str] | None = None) -> Response:
    return json_response(error.status, error.payload(), headers)


def not_found(path: str) -> TwilioApiError:
    return TwilioApiError(404, 20404, f"The requested resource {path} was not found")


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


class TwilioApi:
    def __init__(self, emulator: TwilioEmulator):
        self.emulator = emulator
        self.state = emulator.state
        self.account_sid = emulator.account_sid
        self._credentials = f"{emulator.account_sid}:{emulator.auth_token}".encode()

    def __call__(self, request: Request) -> Response:
        if not self._authorized(request):
            return error_response(
                TwilioApiError(401, 20003, "Authenticate"), {"WWW-Authenticate": 'Basic realm="Twilio API"'}
            )
        match = _ACCOUNT_PATH.match(request.path)
        if match is None or match["account"] != self.account_sid:
            return error_response(not_found(request.path))
        for pattern, methods in _ROUTES:
            route = pattern.match(match["rest"])
            if route is None:
                continue
            name = methods.get(request.method)
            if name is None:
                return error_response(TwilioApiError(405, 20004, "Method not allowed"))
            handler: Callable[..., Response] = getattr(self, name)
            try:
                return handler(request, **route.groupdict())
            except TwilioApiError as exc:
                return error_response(exc)
            except NotFound:
                return error_response(not_found(request.path))
        return error_response(not_found(request.path))

    def _authorized(self, request: Request) -> bool:
        scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given, self._credentials)

    def _page(self, request: Request, key: str, items: list[dict[str, Any]]) -> Response:
        """Twilio's list page: ``{key: [...], "page", "page_size", "start", "end", "…_page_uri", "uri"}``."""
        try:
            size = min(max(int(request.arg("PageSize") or DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
            page = max(int(request.arg("Page") or 0), 0)
        except ValueError:
            raise TwilioApiError(400, 20001, "PageSize and Page must be integers") from None
        start = page * size
        chunk = items[start : start + size]
        kept = [
            (k, v) for k, values in request.query.items() if k not in {"Page", "PageSize", "PageToken"} for v in values
        ]

        def uri(number: int) -> str:
            return f"{request.path}?{urlencode([*kept, ('PageSize', size), ('Page', number)])}"

        return json_response(
            200,
            {
                key: chunk,
                "end": start + len(chunk) - 1 if chunk else start,
                "first_page_uri": uri(0),
                "next_page_uri": uri(page + 1) if start + size < len(items) else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": uri(page - 1) if page > 0 else None,
                "start": start,
                "uri": uri(page),
            },
        )

    # --- account -----------------------------------------------------------------------

    def fetch_account(self, request: Request) -> Response:
        created = rfc2822(self.emulator.started_at or utcnow())
        return json_response(
            200,
            {
                "auth_token": None,
                "date_created": created,
                "date_updated": created,
                "friendly_name": "Twilio emulator",
                "owner_account_sid": self.account_sid,
                "sid": self.account_sid,
                "status": "active",
                "subresource_uris": {
                    "messages": f"{API_ROOT}/{self.account_sid}/Messages.json",
                    "incoming_phone_numbers": f"{API_ROOT}/{self.account_sid}/IncomingPhoneNumbers.json",
                },
                "type": "Full",
                "uri": f"{API_ROOT}/{self.account_sid}.json",
            },
        )

    # --- messages ----------------------------------------------------------------------

    def create_message(self, request: Request) -> Response:
        form = request.form()
        fault = self.state.take_fault()
        if fault is not None and fault.status is not None:
            self.emulator.pause(fault.stall_seconds)
            code, text = _FAULT_ERRORS.get(fault.status, (20500, "An internal server error has occurred"))
            return error_response(TwilioApiError(fault.status, code, text))
        resource = self.state.create_message(form)
        self.emulator.start_lifecycle(resource["sid"])
        if fault is not None:
            self.emulator.pause(fault.stall_seconds)  # the message exists; only the answer is late
        return json_response(201, resource)

    def fetch_message(self, request: Request, sid: str) -> Response:
        return json_response(200, self.state.message(sid))

    def list_messages(self, request: Request) -> Response:
        names = ("To", "From", "DateSent", "DateSent<", "DateSent>")
        filters = {name: request.arg(name).replace(" ", "+").strip() for name in names if request.arg(name)}
        return self._page(request, "messages", self.state.list_messages(filters))

    def update_message(self, request: Request, sid: str) -> Response:
        form = request.form()
        status = _first(form, "Status")
        if status:
            if status != "canceled":
                raise TwilioApiError(400, 20001, f"Status can only be updated to 'canceled', not {status!r}")
            resource, callback, callback_params = self.state.cancel(sid)
            if callback and callback_params:
                self.emulator.send_status_callback(callback, callback_params)
            return json_response(200, resource)
        if "Body" in form:
            if _first(form, "Body"):
                raise TwilioApiError(400, 20001, "Body can only be updated to an empty string (redaction)")
            return json_response(200, self.state.redact(sid))
        return json_response(200, self.state.message(sid))

    def delete_message(self, request: Request, sid: str) -> Response:
        if not self.state.delete_message(sid):
            raise NotFound(sid)
        return Response(204, content_type="text/plain")

    # --- media -------------------------------------------------------------------------

    def list_media(self, request: Request, sid: str) -> Response:
        return self._page(request, "media_list", self.state.media_resources(sid))

    def fetch_media(self, request: Request, sid: str, media_sid: str) -> Response:
        return json_response(200, self.state.media_resources(sid, media_sid)[0])

    def delete_media(self, request: Request, sid: str, media_sid: str) -> Response:
        if not self.state.delete_media(sid, media_sid):
            raise NotFound(media_sid)
        return Response(204, content_type="text/plain")

    def media_content(self, request: Request, sid: str, media_sid: str) -> Response:
        """Like Twilio, a temporary redirect to the media's bytes on the (unauthenticated) CDN."""
        location = self.emulator.base_url + self.state.media_location(sid, media_sid)
        return Response(307, content_type="text/plain", headers={"Location": location})

    # --- incoming phone numbers --------------------------------------------------------

    def list_numbers(self, request: Request) -> Response:
        numbers = self.state.numbers(phone_number=request.arg("PhoneNumber"), friendly_name=request.arg("FriendlyName"))
        return self._page(request, "incoming_phone_numbers", numbers)

    def create_number(self, request: Request) -> Response:
        form = request.form()
        try:
            resource = self.state.add_number(_first(form, "PhoneNumber").strip())
        except ValueError:
            raise TwilioApiError(400, 21421, "PhoneNumber is required and must be E.164") from None
        return json_response(201, self.state.update_number(resource["sid"], form))

    def fetch_number(self, request: Request, sid: str) -> Response:
        resource = self.state.number(sid)
        if resource is None:
            raise NotFound(sid)
        return json_response(200, resource)

    def update_number(self, request: Request, sid: str) -> Response:
        resource = self.state.update_number(sid, request.form())
        if resource is None:
            raise NotFound(sid)
        return json_response(200, resource)

    def delete_number(self, request: Request, sid: str) -> Response:
        if not self.state.delete_number(sid):
            raise NotFound(sid)
        return Response(204, content_type="text/plain")
