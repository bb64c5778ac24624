"""The emulator's REST API, driven through the real ``twilio`` SDK over real HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from .helpers import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, MESSAGE_FIELDS, NUMBER, sdk_client

SERVICE_SID = "MG" + "1" * 32


def _messages_url(emulator, account_sid: str = ACCOUNT_SID) -> str:
    return f"{emulator.base_url}/2010-04-01/Accounts/{account_sid}/Messages.json"


def test_create_fetch_and_list_with_the_sdk(client, emulator):
    sent = client.messages.create(to=CUSTOMER, from_=NUMBER, body="Your appointment is confirmed.")

    assert sent.sid.startswith("SM")
    assert len(sent.sid) == 34
    assert (sent.status, sent.direction, sent.from_, sent.to) == ("queued", "outbound-api", NUMBER, CUSTOMER)
    assert (sent.num_segments, sent.num_media, sent.price, sent.error_code) == ("1", "0", None, None)
    assert sent.account_sid == ACCOUNT_SID
    assert sent.api_version == "2010-04-01"
    raw = emulator.message(sent.sid)
    assert set(raw) == MESSAGE_FIELDS
    assert parsedate_to_datetime(raw["date_created"]).utcoffset() == timedelta(0)
    assert raw["uri"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sent.sid}.json"
    assert raw["subresource_uris"]["media"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sent.sid}/Media.json"

    other = client.messages.create(to="+12025550143", from_=NUMBER, body="Hi James")
    assert client.messages(sent.sid).fetch().body == "Your appointment is confirmed."
    assert [m.sid for m in client.messages.list(to=CUSTOMER)] == [sent.sid]
    assert [m.sid for m in client.messages.list(from_=NUMBER)] == [other.sid, sent.sid]  # newest first
    assert [m["sid"] for m in emulator.messages()] == [sent.sid, other.sid]  # creation order


def test_segments_and_mms_media(client, emulator):
    assert client.messages.create(to=CUSTOMER, from_=NUMBER, body="1" * 161).num_segments == "2"
    assert client.messages.create(to=CUSTOMER, from_=NUMBER, body="😀" + "1" * 69).num_segments == "2"

    mms = client.messages.create(
        to=CUSTOMER, from_=NUMBER, body="", media_url=["https://example.com/x-ray.jpg", "https://example.com/map.png"]
    )
    assert mms.sid.startswith("MM")
    assert mms.num_media == "2"
    media = client.messages(mms.sid).media.list()
    assert [m.content_type for m in media] == ["image/jpeg", "image/png"]
    assert all(m.parent_sid == mms.sid and m.sid.startswith("ME") for m in media)

    content_url = f"{emulator.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{mms.sid}/Media/{media[0].sid}"
    redirect = requests.get(content_url, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5, allow_redirects=False)
    assert redirect.status_code == 307  # like Twilio: to the bytes on a CDN, no credentials needed there
    cdn_url = redirect.headers["Location"]
    assert cdn_url.startswith(f"{emulator.base_url}/_cdn/{ACCOUNT_SID}/")
    image = requests.get(content_url, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert (image.status_code, image.url) == (200, cdn_url)
    assert image.headers["Content-Type"] == "image/jpeg"  # the bytes match the declared type
    assert image.content.startswith(b"\xff\xd8\xff")
    assert image.content.endswith(b"\xff\xd9")
    png = requests.get(content_url.replace(media[0].sid, media[1].sid), auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert png.headers["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.content.endswith(b"IEND\xaeB`\x82")
    assert requests.get(cdn_url, timeout=5).content == image.content  # the CDN asks for no credentials
    assert requests.get(cdn_url[:-1] + "x", timeout=5).status_code == 404
    refused = requests.get(content_url, timeout=5)
    assert refused.status_code == 401
    assert refused.json()["code"] == 20003
    assert requests.get(content_url + "x", auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5).json()["code"] == 20404


def test_list_pages_and_date_filters(client, emulator):
    sids = [client.messages.create(to=CUSTOMER, from_=NUMBER, body=f"n{i}").sid for i in range(3)]
    page = requests.get(
        _messages_url(emulator), params={"PageSize": 2}, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    ).json()
    assert [m["sid"] for m in page["messages"]] == sids[:0:-1]
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 2, 0, 1)
    assert page["previous_page_uri"] is None
    assert "Page=1" in page["next_page_uri"]
    assert page["uri"].startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json?")
    assert [m.sid for m in client.messages.list(page_size=2)] == sids[::-1]  # the SDK follows next_page_uri

    now = datetime.now(UTC)
    assert len(client.messages.list(date_sent_after=now - timedelta(hours=1))) == 3
    assert client.messages.list(date_sent_before=now - timedelta(hours=1)) == []
    today = requests.get(
        _messages_url(emulator), params={"DateSent": now.date().isoformat()}, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    )
    assert len(today.json()["messages"]) == 3


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"to": "12345"}, 21211),
        ({"to": "+1"}, 21211),
        ({"from_": None}, 21603),
        ({"from_": "+14155550199"}, 21606),
        ({"body": "x" * 1601}, 21617),
        ({"body": ""}, 21619),
        ({"media_url": [f"https://example.com/{i}.png" for i in range(11)]}, 21623),
        ({"to": "+15005550001"}, 21211),
        ({"to": "+15005550002"}, 21612),
        ({"to": "+15005550003"}, 21408),
        ({"to": "+15005550004"}, 21610),
        ({"to": "+15005550009"}, 21614),
    ],
)
def test_rejected_sends_raise_twilio_errors(client, emulator, changes, code):
    arguments = {"to": CUSTOMER, "from_": NUMBER, "body": "Hello", **changes}
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(**{k: v for k, v in arguments.items() if v is not None})
    assert (raised.value.status, raised.value.code) == (400, code)
    assert emulator.messages() == []


def test_error_body_is_twilio_shaped(emulator):
    answer = requests.post(
        _messages_url(emulator), data={"From": NUMBER, "Body": "hi"}, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "code": 21604,
        "message": "A 'To' phone number is required.",
        "more_info": "https://www.twilio.com/docs/errors/21604",
        "status": 400,
    }


def test_basic_auth_and_account_checks(emulator):
    with pytest.raises(TwilioRestException) as raised:
        sdk_client(emulator, token="wrong-token").messages.create(to=CUSTOMER, from_=NUMBER, body="hi")
    assert (raised.value.status, raised.value.code) == (401, 20003)

    anonymous = requests.get(_messages_url(emulator), timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == 20003
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")

    other_account = "AC" + "6" * 32
    elsewhere = requests.get(_messages_url(emulator, other_account), auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert elsewhere.status_code == 404
    assert elsewhere.json()["code"] == 20404

    with pytest.raises(TwilioRestException) as missing:
        sdk_client(emulator).messages("SM" + "0" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert emulator.messages() == []


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (503, 20503), (429, 20429)])
def test_injected_failures_then_recovery(client, emulator, status, code):
    emulator.inject_faults(fail_next=2, status=status)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            client.messages.create(to=CUSTOMER, from_=NUMBER, body="hi")
        assert (raised.value.status, raised.value.code) == (status, code)
    assert emulator.messages() == []
    assert client.messages.create(to=CUSTOMER, from_=NUMBER, body="hi").status == "queued"


def test_injected_stall_answers_late_but_creates_the_message(emulator):
    emulator.inject_faults(stall_seconds=0.6)
    with pytest.raises(requests.exceptions.Timeout):
        sdk_client(emulator, timeout=0.2).messages.create(to=CUSTOMER, from_=NUMBER, body="did it go?")
    assert [m["body"] for m in emulator.messages()] == ["did it go?"]  # the classic ambiguity: sent, unanswered

    emulator.inject_faults(stall_seconds=0.3)
    started = time.monotonic()
    assert sdk_client(emulator).messages.create(to=CUSTOMER, from_=NUMBER, body="slow").status == "queued"
    assert time.monotonic() - started >= 0.3
    assert emulator.state.take_fault() is None  # the stall was for one request: it is spent
    assert sdk_client(emulator).messages.create(to=CUSTOMER, from_=NUMBER, body="fast again").status == "queued"


def test_cancel(make_emulator, receiver):
    emulator = make_emulator(callback_delay=0.4)
    client = sdk_client(emulator)
    send_at = datetime.now(UTC) + timedelta(hours=1)
    sent = client.messages.create(
        to=CUSTOMER,
        messaging_service_sid=SERVICE_SID,
        body="hi",
        schedule_type="fixed",
        send_at=send_at,
        status_callback=receiver.url + "/status",
    )
    assert client.messages(sent.sid).update(status="canceled").status == "canceled"
    assert emulator.wait_idle(5)
    assert emulator.message(sent.sid)["status"] == "canceled"
    assert [p.form["MessageStatus"] for p in receiver.to("/status")] == ["canceled"]


@pytest.mark.parametrize("service", [None, SERVICE_SID])
def test_only_a_scheduled_message_can_be_canceled(make_emulator, receiver, service):
    """Twilio cancels a message only while it is ``scheduled``: a ``queued`` or ``accepted`` one is 30409."""
    emulator = make_emulator(callback_delay=0.4)
    client = sdk_client(emulator)
    sender = {"messaging_service_sid": service} if service else {"from_": NUMBER}
    sent = client.messages.create(to=CUSTOMER, body="hi", status_callback=receiver.url + "/status", **sender)
    assert sent.status == ("accepted" if service else "queued")
    with pytest.raises(TwilioRestException) as raised:
        client.messages(sent.sid).update(status="canceled")
    assert (raised.value.status, raised.value.code) == (400, 30409)
    assert raised.value.msg.endswith("This message cannot be canceled")
    assert emulator.wait_idle(5)
    assert emulator.message(sent.sid)["status"] == "delivered"
    assert "canceled" not in [p.form["MessageStatus"] for p in receiver.to("/status")]

    fast = sdk_client(make_emulator())
    delivered = fast.messages.create(to=CUSTOMER, from_=NUMBER, body="too late")
    time.sleep(0.2)
    with pytest.raises(TwilioRestException) as raised:
        fast.messages(delivered.sid).update(status="canceled")
    assert (raised.value.status, raised.value.code) == (400, 30409)


def test_scheduled_messages_need_a_service_and_can_be_canceled(client, emulator):
    send_at = datetime.now(UTC) + timedelta(hours=1)
    scheduled = client.messages.create(
        to=CUSTOMER, messaging_service_sid=SERVICE_SID, body="Reminder", schedule_type="fixed", send_at=send_at
    )
    assert scheduled.status == "scheduled"
    assert scheduled.messaging_service_sid == SERVICE_SID
    assert emulator.wait_idle(0.5)  # a message due later keeps nothing pending
    assert client.messages(scheduled.sid).update(status="canceled").status == "canceled"

    with pytest.raises(TwilioRestException) as no_service:
        client.messages.create(to=CUSTOMER, from_=NUMBER, body="x", schedule_type="fixed", send_at=send_at)
    assert no_service.value.code == 35118
    with pytest.raises(TwilioRestException) as too_soon:
        client.messages.create(
            to=CUSTOMER, messaging_service_sid=SERVICE_SID, body="x", schedule_type="fixed", send_at=datetime.now(UTC)
        )
    assert too_soon.value.code == 35115


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"SendAt": "tomorrow at noon"}, 35114),  # not an ISO-8601 timestamp
        ({"SendAt": "2001-01-01T00:00:00Z"}, 35115),  # in the past
        ({"SendAt": "+200s"}, 35115),  # less than 300 s ahead
        ({"SendAt": "+36d"}, 35117),  # more than 35 days ahead
        ({"SendAt": "+1h", "ScheduleType": "later"}, 35126),  # not sent as a plain message
        ({"SendAt": "+1h", "ScheduleType": ""}, None),  # no ScheduleType: a plain message
        ({"SendAt": "+35d"}, None),
        ({"SendAt": "+1h", "ValidityPeriod": "0"}, 90014),
        ({"SendAt": "+1h", "ValidityPeriod": "ten"}, 90014),
        ({"SendAt": "+1h", "ValidityPeriod": "36001"}, 90007),
        ({"SendAt": "+1h", "ValidityPeriod": "36000"}, None),
        ({"SendAt": "+1h", "ValidityPeriod": "1"}, None),
    ],
)
def test_scheduling_and_validity_period_errors_by_case(emulator, fields, code):
    now = datetime.now(UTC)
    relative = {
        "+200s": timedelta(seconds=200),
        "+36d": timedelta(days=36),
        "+35d": timedelta(days=35) - timedelta(minutes=1),
        "+1h": timedelta(hours=1),
    }
    form = {"To": CUSTOMER, "MessagingServiceSid": SERVICE_SID, "Body": "x", "ScheduleType": "fixed", **fields}
    if form["SendAt"] in relative:
        form["SendAt"] = (now + relative[form["SendAt"]]).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = requests.post(_messages_url(emulator), data=form, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    if code is None:
        assert answer.status_code == 201, answer.json()
        expected = "scheduled" if form["ScheduleType"] else "accepted"
        assert answer.json()["status"] == expected
        return
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert answer.json()["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert emulator.messages() == []


def test_incoming_phone_numbers_list_and_update(client, emulator):
    [number] = client.incoming_phone_numbers.list(phone_number=NUMBER)
    assert number.sid.startswith("PN")
    assert number.phone_number == NUMBER
    assert number.friendly_name == "(500) 555-0006"
    assert number.account_sid == ACCOUNT_SID
    assert client.incoming_phone_numbers.list(phone_number="+15005550007") == []
    assert [n.sid for n in client.incoming_phone_numbers.list(phone_number="555000")] == [number.sid]

    updated = client.incoming_phone_numbers(number.sid).update(
        sms_url="https://inbox.example/api/twilio/sms-incoming",
        sms_method="POST",
        status_callback="https://inbox.example/api/twilio/sms-status",
    )
    assert updated.sms_url == "https://inbox.example/api/twilio/sms-incoming"
    assert (updated.sms_method, updated.status_callback) == ("POST", "https://inbox.example/api/twilio/sms-status")
    assert emulator.numbers()[0]["sms_url"] == updated.sms_url
    assert client.incoming_phone_numbers(number.sid).fetch().sms_url == updated.sms_url

    with pytest.raises(TwilioRestException) as raised:
        client.incoming_phone_numbers("PN" + "0" * 32).update(sms_url="https://x.example/")
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_messaging_service_sends_are_accepted_then_queued(client, emulator, receiver):
    sent = client.messages.create(
        to=CUSTOMER, messaging_service_sid=SERVICE_SID, body="hi", status_callback=receiver.url + "/status"
    )
    assert (sent.status, sent.from_, sent.messaging_service_sid) == ("accepted", None, SERVICE_SID)
    assert emulator.wait_idle(5)
    posts = receiver.to("/status")
    assert [p.form["MessageStatus"] for p in posts] == ["queued", "sending", "sent", "delivered"]
    assert {p.form["MessagingServiceSid"] for p in posts} == {SERVICE_SID}
    assert emulator.message(sent.sid)["from"] == NUMBER  # picked from the pool


def test_emulators_in_one_process_are_independent(client, emulator):
    from messaging.twilio.emulator import TwilioEmulator

    with TwilioEmulator(account_sid="AC" + "7" * 32, auth_token="other-token", callback_delay=0) as other:
        other.add_number(NUMBER)
        client.messages.create(to=CUSTOMER, from_=NUMBER, body="only in the first")
        assert other.messages() == []
        assert len(emulator.messages()) == 1
        assert other.port != emulator.port
        refused = requests.get(_messages_url(other, "AC" + "7" * 32), auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
        assert refused.status_code == 401


def test_account_number_and_message_management(client, emulator):
    assert client.api.accounts(ACCOUNT_SID).fetch().status == "active"

    created = client.incoming_phone_numbers.create(phone_number="+15005550007", sms_url="https://inbox.example/in")
    assert created.sid.startswith("PN")
    assert [n["phone_number"] for n in emulator.numbers()] == [NUMBER, "+15005550007"]
    assert client.incoming_phone_numbers(created.sid).delete()
    assert [n["phone_number"] for n in emulator.numbers()] == [NUMBER]

    sent = client.messages.create(to=CUSTOMER, from_=NUMBER, body="secret")
    assert client.messages(sent.sid).update(body="").body == ""  # redaction
    assert client.messages(sent.sid).delete()
    assert emulator.messages() == []
    with pytest.raises(KeyError):
        emulator.message(sent.sid)
