"""Webhooks the emulator sends: status callbacks and incoming messages, signed as Twilio signs them."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from messaging.twilio.emulator import FAILED_TO, UNDELIVERED_TO, MediaFile
from messaging.twilio.emulator import callbacks as emulator_callbacks

from .helpers import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, NUMBER, free_port, sdk_client

STATUS_FIELDS = {"MessageSid", "MessageStatus", "SmsSid", "SmsStatus", "AccountSid", "From", "To", "ApiVersion"}
INBOUND_FIELDS = {
    "MessageSid",
    "SmsSid",
    "SmsMessageSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "NumSegments",
    "SmsStatus",
    "ApiVersion",
}


def _statuses(posts) -> list[str]:
    return [p.form["MessageStatus"] for p in posts]


def test_status_callbacks_are_signed_in_order_and_keep_the_query(client, emulator, receiver):
    seen_in_store = []
    receiver.on_post = lambda post: seen_in_store.append(emulator.message(post.form["MessageSid"])["status"])
    callback = receiver.url + "/api/twilio/sms-status?m=12"

    sent = client.messages.create(to=CUSTOMER, from_=NUMBER, body="hi", status_callback=callback)
    assert emulator.wait_idle(5)

    posts = receiver.to("/api/twilio/sms-status")
    assert _statuses(posts) == ["sending", "sent", "delivered"]
    assert seen_in_store == ["sending", "sent", "delivered"]  # the stored status follows the callbacks
    for post in posts:
        assert post.method == "POST"
        assert post.path == "/api/twilio/sms-status?m=12"
        assert post.url == callback
        assert post.signed()
        assert set(post.form) >= STATUS_FIELDS
        assert "ErrorCode" not in post.form
        assert (post.form["MessageSid"], post.form["SmsSid"]) == (sent.sid, sent.sid)
        assert post.form["SmsStatus"] == post.form["MessageStatus"]
        assert (post.form["AccountSid"], post.form["From"], post.form["To"]) == (ACCOUNT_SID, NUMBER, CUSTOMER)
        assert post.form["ApiVersion"] == "2010-04-01"
        assert post.headers["I-Twilio-Idempotency-Token"]
    assert posts[-1].form["RawDlrDoneDate"].isdigit()
    assert not posts[0].signed(token="another-token")  # the signature really depends on the token …
    tampered = posts[0]
    tampered.form["Body"] = "added"
    assert not tampered.signed()  # … and on every field
    fetched = client.messages(sent.sid).fetch()
    assert fetched.status == "delivered"
    assert fetched.date_sent is not None


@pytest.mark.parametrize(
    ("to", "statuses", "error_code"),
    [
        (UNDELIVERED_TO, ["sending", "sent", "undelivered"], 30003),
        (FAILED_TO, ["sending", "failed"], 30008),
    ],
)
def test_magic_numbers_fail_in_delivery(client, emulator, receiver, to, statuses, error_code):
    sent = client.messages.create(to=to, from_=NUMBER, body="hi", status_callback=receiver.url + "/status")
    assert sent.status == "queued"
    assert emulator.wait_idle(5)
    posts = receiver.to("/status")
    assert _statuses(posts) == statuses
    assert posts[-1].form["ErrorCode"] == str(error_code)
    assert all("ErrorCode" not in p.form for p in posts[:-1])
    assert all(p.signed() for p in posts)
    assert (emulator.message(sent.sid)["status"], emulator.message(sent.sid)["error_code"]) == (
        statuses[-1],
        error_code,
    )


def test_duplicate_callbacks_arrive_twice_with_one_idempotency_token(make_emulator, receiver):
    emulator = make_emulator(duplicate_callbacks=True)
    sdk_client(emulator).messages.create(to=CUSTOMER, from_=NUMBER, body="hi", status_callback=receiver.url + "/s")
    assert emulator.wait_idle(5)
    posts = receiver.to("/s")
    assert _statuses(posts) == ["sending", "sending", "sent", "sent", "delivered", "delivered"]
    tokens = [p.headers["I-Twilio-Idempotency-Token"] for p in posts]
    assert tokens[0] == tokens[1]
    assert tokens[2] == tokens[3]
    assert len(set(tokens)) == 3
    assert all(p.signed() for p in posts)


def test_shuffled_callbacks_all_arrive_out_of_order(make_emulator, receiver):
    emulator = make_emulator(shuffle_callbacks=True)
    sent = sdk_client(emulator).messages.create(
        to=CUSTOMER, from_=NUMBER, body="hi", status_callback=receiver.url + "/s"
    )
    assert emulator.wait_idle(5)
    posts = receiver.to("/s")
    assert sorted(_statuses(posts)) == ["delivered", "sending", "sent"]
    assert _statuses(posts) != ["sending", "sent", "delivered"]
    assert all(p.signed() for p in posts)
    assert emulator.message(sent.sid)["status"] == "delivered"


def test_shuffled_duplicates(make_emulator, receiver):
    emulator = make_emulator(shuffle_callbacks=True, duplicate_callbacks=True)
    sdk_client(emulator).messages.create(to=CUSTOMER, from_=NUMBER, body="hi", status_callback=receiver.url + "/s")
    assert emulator.wait_idle(5)
    statuses = _statuses(receiver.to("/s"))
    assert Counter(statuses) == {"sending": 2, "sent": 2, "delivered": 2}
    assert statuses != ["sending", "sending", "sent", "sent", "delivered", "delivered"]


def test_failing_callback_target_is_retried_at_most_twice(client, emulator, receiver):
    receiver.status = 500
    client.messages.create(to=CUSTOMER, from_=NUMBER, body="hi", status_callback=receiver.url + "/s")
    assert emulator.wait_idle(5)
    assert _statuses(receiver.to("/s")) == ["sending"] * 3 + ["sent"] * 3 + ["delivered"] * 3
    log = emulator.webhooks()
    assert [(d["attempts"], d["status_code"], d["ok"]) for d in log] == [(3, 500, False)] * 3


def test_callback_target_that_is_down_does_not_hang(client, emulator):
    down = f"http://127.0.0.1:{free_port()}/status"
    sent = client.messages.create(to=CUSTOMER, from_=NUMBER, body="hi", status_callback=down)
    assert emulator.wait_idle(5)
    log = emulator.webhooks()
    assert len(log) == 3
    assert all(d["status_code"] is None and d["attempts"] == 3 and d["error"] for d in log)
    assert emulator.message(sent.sid)["status"] == "delivered"


def test_send_inbound_posts_a_signed_webhook(emulator, receiver):
    result = emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="Can I move my appointment?")
    assert result["status_code"] == 200
    assert result["sid"].startswith("SM")

    [post] = receiver.to("/sms-incoming")
    assert post.method == "POST"
    assert post.url == receiver.url + "/sms-incoming"
    assert post.signed()
    assert set(post.form) >= INBOUND_FIELDS
    form = post.form
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"] == result["sid"]
    assert (form["From"], form["To"], form["Body"]) == (CUSTOMER, NUMBER, "Can I move my appointment?")
    assert (form["AccountSid"], form["ApiVersion"], form["SmsStatus"]) == (ACCOUNT_SID, "2010-04-01", "received")
    assert (form["NumMedia"], form["NumSegments"]) == ("0", "1")
    assert not any(name.startswith("MediaUrl") for name in form)

    stored = emulator.message(result["sid"])
    assert (stored["direction"], stored["status"], stored["body"]) == ("inbound", "received", form["Body"])
    assert emulator.messages(direction="outbound-api") == []


def test_send_inbound_with_media(emulator, receiver):
    photo = b"\xff\xd8\xff\xe0 a customer's own photo \xff\xd9"
    result = emulator.send_inbound(
        from_=CUSTOMER,
        to=NUMBER,
        body="",
        media_urls=["emulator", "https://example.com/a.jpg", MediaFile("image/jpeg", photo)],
    )
    [post] = receiver.to("/sms-incoming")
    form = post.form
    assert result["sid"].startswith("MM")
    assert form["NumMedia"] == "3"
    assert post.signed()
    media = {m["sid"]: m for m in emulator.state.media_resources(result["sid"])}
    for index, content_type in enumerate(["image/png", "image/jpeg", "image/jpeg"]):
        # Every MediaUrl is the message's own Media resource at "Twilio", never the URL given.
        url = form[f"MediaUrl{index}"]
        prefix = f"{emulator.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{result['sid']}/Media/"
        assert url.startswith(prefix)
        assert media[url.removeprefix(prefix)]["content_type"] == form[f"MediaContentType{index}"] == content_type
        assert requests.get(url, timeout=5).status_code == 401  # fetched with credentials only

    images = [requests.get(form[f"MediaUrl{i}"], auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5) for i in range(3)]
    assert [i.status_code for i in images] == [200, 200, 200]
    assert [i.headers["Content-Type"] for i in images] == ["image/png", "image/jpeg", "image/jpeg"]
    assert [i.history[0].status_code for i in images] == [307, 307, 307]  # through the "CDN"
    assert images[0].content.startswith(b"\x89PNG")
    assert images[1].content.startswith(b"\xff\xd8\xff")  # a generated JPEG: the URL is never fetched
    assert images[2].content == photo  # a file's own bytes


def test_inbound_with_get_method_and_fallback(client, emulator, receiver):
    [number] = client.incoming_phone_numbers.list(phone_number=NUMBER)
    client.incoming_phone_numbers(number.sid).update(sms_url=receiver.url + "/get-hook", sms_method="GET")
    assert emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="via GET")["status_code"] == 200
    [get] = receiver.to("/get-hook")
    assert get.method == "GET"
    assert get.form["Body"] == "via GET"
    assert get.signed()

    receiver.status = 503
    client.incoming_phone_numbers(number.sid).update(sms_method="POST", sms_fallback_url=receiver.url + "/fallback")
    result = emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="fallback please")
    assert [p.path for p in receiver.posts[-2:]] == ["/get-hook", "/fallback"]
    assert result["url"] == receiver.url + "/fallback"
    assert result["status_code"] == 503


def test_inbound_stop_blocks_sending_until_start(client, emulator):
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body=" sToP ")
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=CUSTOMER, from_=NUMBER, body="are you there?")
    assert raised.value.code == 21610
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="START")
    assert client.messages.create(to=CUSTOMER, from_=NUMBER, body="welcome back").status == "queued"


def test_control_endpoints(emulator, receiver):
    base = emulator.base_url + "/_emulator"
    added = requests.post(
        f"{base}/numbers", data={"number": "+15005550007", "sms_url": receiver.url + "/two"}, timeout=5
    )
    assert added.status_code == 201
    assert added.json()["sid"].startswith("PN")

    as_json = requests.post(
        f"{base}/inbound", json={"from": CUSTOMER, "to": "+15005550007", "body": "hi", "media": ["emulator"]}, timeout=5
    )
    assert as_json.status_code == 200
    assert as_json.json()["status_code"] == 200
    as_form = requests.post(f"{base}/inbound", data={"from": CUSTOMER, "to": NUMBER, "body": "hello"}, timeout=5)
    assert as_form.json()["sid"].startswith("SM")
    assert [p.form["NumMedia"] for p in receiver.posts] == ["1", "0"]
    assert all(p.signed() for p in receiver.posts)
    unknown = requests.post(f"{base}/inbound", data={"from": CUSTOMER, "to": "+15005550008"}, timeout=5)
    assert unknown.status_code == 404
    assert "error" in unknown.json()

    assert requests.post(f"{base}/faults", data={"fail_next": 1, "status": 503}, timeout=5).json()["fail_next"] == 1
    with pytest.raises(TwilioRestException) as raised:
        sdk_client(emulator).messages.create(to=CUSTOMER, from_=NUMBER, body="hi")
    assert raised.value.status == 503

    listed = requests.get(f"{base}/messages", timeout=5).json()
    assert [m["body"] for m in listed] == ["hi", "hello"]
    missing = requests.get(f"{base}/nothing-here", timeout=5)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/json")
    assert requests.get(emulator.base_url + "/elsewhere", timeout=5).status_code == 404


SERVICE_SID = "MG" + "2" * 32


def test_inbound_to_a_messaging_service_number_carries_its_sid(emulator, receiver):
    emulator.add_number(NUMBER, messaging_service_sid=SERVICE_SID)
    result = emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="stop")  # no Advanced Opt-Out
    [post] = receiver.to("/sms-incoming")
    assert post.signed()
    assert post.form["MessagingServiceSid"] == SERVICE_SID
    assert "OptOutType" not in post.form
    assert emulator.message(result["sid"])["messaging_service_sid"] == SERVICE_SID


def test_a_number_outside_any_service_sends_neither(emulator, receiver):
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="STOP")
    [post] = receiver.to("/sms-incoming")
    assert "MessagingServiceSid" not in post.form
    assert "OptOutType" not in post.form


@pytest.mark.parametrize(
    ("body", "opt_out_type"),
    [(" sToP ", "STOP"), ("unsubscribe", "STOP"), ("START", "START"), ("yes", "START"), ("HELP", "HELP"),
     ("info", "HELP"), ("stop please", None), ("hello", None)],
)  # fmt: skip
def test_advanced_opt_out_adds_opt_out_type_for_keywords(emulator, receiver, body, opt_out_type):
    emulator.add_number(NUMBER, messaging_service_sid=SERVICE_SID, advanced_opt_out=True)
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body=body)
    [post] = receiver.to("/sms-incoming")
    assert post.signed()
    assert post.form["MessagingServiceSid"] == SERVICE_SID
    assert post.form.get("OptOutType") == opt_out_type


def test_advanced_opt_out_blocks_the_whole_service(client, emulator):
    emulator.add_number(NUMBER, messaging_service_sid=SERVICE_SID, advanced_opt_out=True)
    emulator.add_number("+15005550007", messaging_service_sid=SERVICE_SID)
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="STOP")
    for sender in ({"from_": "+15005550007"}, {"messaging_service_sid": SERVICE_SID}):
        with pytest.raises(TwilioRestException) as raised:
            client.messages.create(to=CUSTOMER, body="still there?", **sender)
        assert raised.value.code == 21610
    emulator.send_inbound(from_=CUSTOMER, to="+15005550007", body="START")
    assert client.messages.create(to=CUSTOMER, from_=NUMBER, body="welcome back").status == "queued"


def test_a_service_send_picks_a_sender_from_its_own_pool(client, emulator):
    emulator.add_number("+15005550007", messaging_service_sid=SERVICE_SID)
    sent = client.messages.create(to=CUSTOMER, messaging_service_sid=SERVICE_SID, body="hi")
    assert emulator.wait_idle(5)
    assert emulator.message(sent.sid)["from"] == "+15005550007"


def test_number_options_are_checked(emulator):
    with pytest.raises(ValueError, match="Messaging Service SID"):
        emulator.add_number(NUMBER, messaging_service_sid="MG123")
    with pytest.raises(ValueError, match="Advanced Opt-Out"):
        emulator.add_number(NUMBER, advanced_opt_out=True)


@pytest.mark.parametrize(
    ("from_", "geo"),
    [
        ("+447700900123", {"FromCountry": "GB", "FromState": "", "FromCity": "", "FromZip": ""}),
        ("+442071838750", {"FromCountry": "GB", "FromState": "", "FromCity": "LONDON", "FromZip": ""}),
        ("+14155550101", {"FromCountry": "US", "FromState": "CA", "FromCity": "SAN FRANCISCO", "FromZip": ""}),
    ],
)
def test_inbound_geo_fields(emulator, receiver, from_, geo):
    emulator.send_inbound(from_=from_, to=NUMBER, body="hi")
    [post] = receiver.to("/sms-incoming")
    assert {name: post.form[name] for name in geo} == geo
    assert post.form["ToCountry"] == "US"


def test_webhooks_carry_the_home_region(client, emulator, receiver):
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="hi")
    client.messages.create(to=CUSTOMER, from_=NUMBER, body="hi", status_callback=receiver.url + "/status")
    assert emulator.wait_idle(5)
    assert receiver.posts
    assert {p.headers["X-Home-Region"] for p in receiver.posts} == {"us1"}


def _trickling_server(pause: float, chunks: int) -> tuple[str, threading.Thread]:
    """A target that answers 200 a byte at a time, ``pause`` apart: no single read waits long."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection, listener:
            connection.recv(65536)
            connection.sendall(f"HTTP/1.0 200 OK\r\nContent-Length: {chunks}\r\n\r\n".encode())
            for _ in range(chunks):
                time.sleep(pause)
                connection.sendall(b"x")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/sms-incoming", thread


def test_one_time_budget_per_webhook_request(emulator, monkeypatch):
    """Twilio gives a request 15 s in all, connection included: a slow trickle is cut off at the budget."""
    monkeypatch.setattr(emulator_callbacks, "TIMEOUT_SECONDS", 0.5)
    url, thread = _trickling_server(pause=0.15, chunks=2)  # 0.3 s in all: within the budget
    emulator.add_number(NUMBER, sms_url=url)
    assert emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="quick")["status_code"] == 200
    thread.join(5)

    url, thread = _trickling_server(pause=0.15, chunks=6)  # every read within 0.5 s, the whole 0.9 s
    emulator.add_number(NUMBER, sms_url=url)
    slow = emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body="slow")
    assert slow["status_code"] is None
    assert slow["error"] == "Timeout: no complete answer within 0.5 s"
    thread.join(5)


def test_twilio_timeouts_are_the_defaults():
    assert (emulator_callbacks.CONNECT_TIMEOUT_SECONDS, emulator_callbacks.TIMEOUT_SECONDS) == (10.0, 15.0)


def test_advanced_opt_out_custom_keywords(client, emulator, receiver):
    emulator.add_number(NUMBER, messaging_service_sid=SERVICE_SID, custom_keywords={"arret": "STOP"})
    emulator.send_inbound(from_=CUSTOMER, to=NUMBER, body=" Arret ")
    [post] = receiver.to("/sms-incoming")
    assert post.form["OptOutType"] == "STOP"
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=CUSTOMER, from_=NUMBER, body="hello?")
    assert raised.value.code == 21610
    with pytest.raises(ValueError, match="keyword"):
        emulator.add_number(NUMBER, messaging_service_sid=SERVICE_SID, custom_keywords={"MAYBE": "PERHAPS"})


def test_some_messages_callbacks_arrive_out_of_order(make_emulator, receiver):
    """Twilio does not guarantee the order of status callbacks: ``out_of_order`` shuffles that share of messages."""
    emulator = make_emulator(out_of_order=0.5, seed=7, callback_delay=0.005)
    client = sdk_client(emulator)
    sids = [
        client.messages.create(to=CUSTOMER, from_=NUMBER, body=f"n{i}", status_callback=receiver.url + "/s").sid
        for i in range(16)
    ]
    assert emulator.wait_idle(10)
    orders = {sid: [p.form["MessageStatus"] for p in receiver.to("/s") if p.form["MessageSid"] == sid] for sid in sids}
    assert all(sorted(statuses) == ["delivered", "sending", "sent"] for statuses in orders.values())
    in_order = sum(statuses == ["sending", "sent", "delivered"] for statuses in orders.values())
    assert 0 < in_order < len(sids)
    assert all(emulator.message(sid)["status"] == "delivered" for sid in sids)
    with pytest.raises(ValueError, match="share of messages"):
        make_emulator(out_of_order=1.5)
