"""The emulator's answers against Twilio's published OpenAPI spec (``shared/twilio/twilio_api_v2010.json``).

Every Message and Media answer of create, fetch, list, update and delete is validated with
``openapi-core`` (status code, content type, body schema: required fields, types, nullability, SID
patterns, enums). The spec names ``https://api.twilio.com`` as the server, so each request is
validated as if it had been sent there. Error answers are not in the spec: their body is checked
against Twilio's documented error shape instead.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.validation.response.exceptions import InvalidData

from messaging.twilio.emulator import FAILED_TO, MediaFile

from .helpers import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, NUMBER

# shared/ lies beside the repository (for developers and in CI); TWILIO_OPENAPI_SPEC points elsewhere.
SPEC = Path(
    os.environ.get("TWILIO_OPENAPI_SPEC")
    or Path(__file__).resolve().parents[5] / "shared" / "twilio" / "twilio_api_v2010.json"
)
TWILIO = "https://api.twilio.com"
SERVICE_SID = "MG" + "4" * 32
ERROR_FIELDS = {"code": int, "message": str, "more_info": str, "status": int}


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(json.loads(SPEC.read_text()))


class Api:
    """Calls the emulator's REST API and validates every answer against the spec."""

    def __init__(self, emulator, openapi: OpenAPI):
        self.emulator = emulator
        self.openapi = openapi
        self.root = f"/2010-04-01/Accounts/{ACCOUNT_SID}"

    def call(self, method: str, path: str, expected: int, **kwargs) -> requests.Response:
        answer = requests.request(
            method, self.emulator.base_url + self.root + path, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5, **kwargs
        )
        assert answer.status_code == expected, answer.text
        self.validate(answer)
        return answer

    def validate(self, answer: requests.Response) -> None:
        sent = answer.request.copy()
        sent.url = sent.url.replace(self.emulator.base_url, TWILIO, 1)
        self.openapi.validate_response(RequestsOpenAPIRequest(sent), RequestsOpenAPIResponse(answer))

    def json(self, method: str, path: str, expected: int, **kwargs) -> dict:
        return self.call(method, path, expected, **kwargs).json()


@pytest.fixture
def api(emulator, openapi) -> Api:
    return Api(emulator, openapi)


def test_the_validator_is_not_vacuous(api):
    """A body that breaks the spec (a SID of the wrong shape, a count as a number) is refused."""
    answer = api.call("POST", "/Messages.json", 201, data={"To": CUSTOMER, "From": NUMBER, "Body": "hi"})
    for broken in ({"sid": "XX123"}, {"num_segments": 1}, {"status": "teleported"}):
        answer._content = json.dumps({**answer.json(), **broken}).encode()
        with pytest.raises(InvalidData):
            api.validate(answer)


def test_create_fetch_list_update_and_delete_messages(api, emulator, receiver):
    sms = api.json("POST", "/Messages.json", 201, data={"To": CUSTOMER, "From": NUMBER, "Body": "Hello 😀"})
    mms = api.json(
        "POST",
        "/Messages.json",
        201,
        data={"To": CUSTOMER, "From": NUMBER, "MediaUrl": ["https://example.com/a.jpg", "https://example.com/b.gif"]},
    )
    service = api.json(
        "POST",
        "/Messages.json",
        201,
        data={"To": CUSTOMER, "MessagingServiceSid": SERVICE_SID, "Body": "from the pool"},
    )
    send_at = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    scheduled = api.json(
        "POST",
        "/Messages.json",
        201,
        data={
            "To": CUSTOMER,
            "MessagingServiceSid": SERVICE_SID,
            "Body": "later",
            "ScheduleType": "fixed",
            "SendAt": send_at,
        },
    )
    failed = api.json("POST", "/Messages.json", 201, data={"To": FAILED_TO, "From": NUMBER, "Body": "x"})
    assert [m["status"] for m in (sms, mms, service, scheduled)] == ["queued", "queued", "accepted", "scheduled"]
    assert emulator.wait_idle(5)

    delivered = api.json("GET", f"/Messages/{sms['sid']}.json", 200)
    assert (delivered["status"], delivered["price_unit"]) == ("delivered", "USD")
    assert float(delivered["price"]) < 0  # billed once sent, negative as Twilio bills it
    assert delivered["error_message"] is None
    fetched_failure = api.json("GET", f"/Messages/{failed['sid']}.json", 200)
    assert (fetched_failure["error_code"], fetched_failure["error_message"]) == (30008, "Unknown error")
    pooled = api.json("GET", f"/Messages/{service['sid']}.json", 200)
    assert (pooled["messaging_service_sid"], pooled["from"]) == (SERVICE_SID, NUMBER)

    listed = api.json("GET", "/Messages.json", 200, params={"PageSize": 2})
    assert len(listed["messages"]) == 2
    api.json("GET", "/Messages.json", 200, params={"PageSize": 2, "Page": 1})
    api.json("GET", "/Messages.json", 200, params={"To": CUSTOMER, "From": NUMBER})
    api.json("GET", "/Messages.json", 200, params={"DateSent>": datetime.now(UTC).date().isoformat()})

    assert api.json("POST", f"/Messages/{scheduled['sid']}.json", 200, data={"Status": "canceled"})["status"] == (
        "canceled"
    )
    assert api.json("POST", f"/Messages/{sms['sid']}.json", 200, data={"Body": ""})["body"] == ""
    api.call("DELETE", f"/Messages/{sms['sid']}.json", 204)


def test_media_list_fetch_and_delete(api, emulator):
    mms = api.json(
        "POST",
        "/Messages.json",
        201,
        data={"To": CUSTOMER, "From": NUMBER, "Body": "x-ray", "MediaUrl": "https://example.com/x-ray.jpg"},
    )
    inbound = emulator.send_inbound(
        from_=CUSTOMER, to=NUMBER, body="", media_urls=["emulator", MediaFile("image/jpeg", b"\xff\xd8\xff\xd9")]
    )
    for sid in (mms["sid"], inbound["sid"]):
        media_list = api.json("GET", f"/Messages/{sid}/Media.json", 200)["media_list"]
        assert media_list
        for media in media_list:
            assert api.json("GET", f"/Messages/{sid}/Media/{media['sid']}.json", 200) == media
        api.json("GET", f"/Messages/{sid}/Media.json", 200, params={"PageSize": 1})
    other = requests.delete(
        f"{emulator.base_url}{api.root}/Messages/{mms['sid']}/Media/{media_list[0]['sid']}.json",
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=5,
    )
    assert other.status_code == 404  # another message's medium
    api.call("DELETE", f"/Messages/{inbound['sid']}/Media/{media_list[0]['sid']}.json", 204)
    api.json("GET", f"/Messages/{inbound['sid']}.json", 200)


def test_an_inbound_message_to_a_service_number(api, emulator):
    emulator.add_number(NUMBER, messaging_service_sid=SERVICE_SID, advanced_opt_out=True)
    sid = emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="HELP")["sid"]
    received = api.json("GET", f"/Messages/{sid}.json", 200)
    assert (received["direction"], received["status"], received["messaging_service_sid"]) == (
        "inbound",
        "received",
        SERVICE_SID,
    )
    assert (received["price"], received["price_unit"]) == ("-0.00790", "USD")  # received messages are billed


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "code"),
    [
        ("POST", "/Messages.json", {"From": NUMBER, "Body": "hi"}, 400, 21604),
        ("POST", "/Messages.json", {"To": CUSTOMER, "From": NUMBER, "Body": "x", "ValidityPeriod": "0"}, 400, 90014),
        ("GET", "/Messages/SM" + "0" * 32 + ".json", None, 404, 20404),
        ("DELETE", "/Messages/SM" + "0" * 32 + "/Media/ME" + "0" * 32 + ".json", None, 404, 20404),
    ],
)
def test_error_bodies_have_twilios_shape(api, emulator, method, path, data, status, code):
    answer = requests.request(
        method, emulator.base_url + api.root + path, data=data, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    )
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert {name: type(value) for name, value in body.items()} == ERROR_FIELDS
    assert (body["status"], body["code"]) == (status, code)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
