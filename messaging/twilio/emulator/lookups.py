"""Lookup v2 as the emulator answers it: ``GET /v2/PhoneNumbers/{E164}?Fields=line_type_intelligence``.

Twilio's shape (``calling_country_code``, ``country_code``, ``phone_number``, ``national_format``, ``valid``,
``validation_errors``, ``line_type_intelligence: {mobile_country_code, mobile_network_code, carrier_name, type,
error_code}``, the other packages ``null``, ``url``). Without ``line_type_intelligence`` in ``Fields`` that key is
``null``, as at Twilio. Magic numbers (the emulator's own):

- ``+15005550020`` ``landline``, ``+15005550021`` ``nonFixedVoip``, ``+15005550022`` ``fixedVoip``,
  ``+15005550024`` ``tollFree``;
- ``+15005550023`` answers 503 (code 20503), to exercise a failed lookup;
- anything else that looks like E.164 is ``mobile``; anything else is ``valid: false`` with
  ``validation_errors: ["INVALID_BUT_POSSIBLE"]``-style reasons and no line type.

Every lookup is counted in ``EmulatorLookups.requests`` (the number looked up), so tests can tell a paid
request was made, or was not.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote

from .resources import TwilioApiError
from .server import Request, Response, json_response

PREFIX = "/v2/PhoneNumbers/"
LANDLINE, NON_FIXED_VOIP, FIXED_VOIP, UNAVAILABLE, TOLL_FREE = (
    "+15005550020",
    "+15005550021",
    "+15005550022",
    "+15005550023",
    "+15005550024",
)
TYPES = {LANDLINE: "landline", NON_FIXED_VOIP: "nonFixedVoip", FIXED_VOIP: "fixedVoip", TOLL_FREE: "tollFree"}
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class EmulatorLookups:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        if request.method != "GET":
            return json_response(405, TwilioApiError(405, 20004, "Method not allowed").payload())
        number = unquote(request.path.removeprefix(PREFIX)).strip()
        with self._lock:
            self.requests.append(number)
        if number == UNAVAILABLE:
            return json_response(503, TwilioApiError(503, 20503, "Service Unavailable").payload())
        fields = {f.strip() for value in request.query.get("Fields", []) for f in value.split(",")}
        valid = bool(_E164.match(number))
        intelligence = None
        if valid and "line_type_intelligence" in fields:
            intelligence = {
                "mobile_country_code": "310" if number.startswith("+1") else None,
                "mobile_network_code": "456" if number.startswith("+1") else None,
                "carrier_name": "Emulated Carrier",
                "type": TYPES.get(number, "mobile"),
                "error_code": None,
            }
        return json_response(
            200,
            {
                "calling_country_code": "1" if number.startswith("+1") else None,
                "country_code": "US" if number.startswith("+1") else None,
                "phone_number": number,
                "national_format": number,
                "valid": valid,
                "validation_errors": [] if valid else ["NOT_A_NUMBER"],
                "caller_name": None,
                "sim_swap": None,
                "call_forwarding": None,
                "line_status": None,
                "line_type_intelligence": intelligence,
                "identity_match": None,
                "reassigned_number": None,
                "sms_pumping_risk": None,
                "phone_number_quality_score": None,
                "pre_fill": None,
                "url": f"https://lookups.twilio.com/v2/PhoneNumbers/{number}",
            },
        )
