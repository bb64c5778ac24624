"""The webhook endpoints end to end: signed real-shaped posts through the Django test client."""

import json
import logging
from urllib.parse import urlencode

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from conversations.models import Contact, Conversation
from messaging.intake import services as intake_services
from messaging.models import Message, MessageEvent
from messaging.twilio.webhooks import EMPTY_TWIML
from tests.twilio_posts import inbound_params, new_sid, post_inbound, post_signed, post_status, sign, status_params

ORG_A_NUMBER = "+14155550001"


def row_counts():
    return (
        Contact.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
        MessageEvent.objects.count(),
    )


def test_inbound_answers_empty_twiml_and_stores_the_message(client, org_a):
    response = post_inbound(client, to=ORG_A_NUMBER, body="Hi there")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode() == EMPTY_TWIML
    message = Message.objects.get()
    assert (message.body, message.direction, message.status) == ("Hi there", "in", "received")


def test_repeated_delivery_is_stored_once(client, org_a):
    sid = new_sid()
    for _ in range(3):
        assert post_inbound(client, to=ORG_A_NUMBER, sid=sid).status_code == 200
    assert Message.objects.filter(twilio_sid=sid).count() == 1
    assert Conversation.objects.get().unread_count == 1


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_unsigned_or_forged_is_403_with_zero_writes_and_one_warning(client, org_a, caplog, signature):
    params = inbound_params(to=ORG_A_NUMBER)
    before = row_counts()
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    with caplog.at_level(logging.WARNING, logger="messaging"):
        response = client.post(reverse("twilio:sms-incoming"), data=params, headers=headers)
    assert response.status_code == 403
    assert row_counts() == before
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert params["MessageSid"] in warnings[0].getMessage()


def test_tampered_field_is_403(client, org_a):
    params = inbound_params(to=ORG_A_NUMBER, body="original")
    signature = sign("http://testserver/api/twilio/sms-incoming", params)
    params["Body"] = "tampered"
    response = client.post(reverse("twilio:sms-incoming"), data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_signature_replayed_to_another_url_is_403(client, org_a):
    params = inbound_params(to=ORG_A_NUMBER)
    signature = sign("http://testserver/api/twilio/sms-status", params)
    response = client.post(reverse("twilio:sms-incoming"), data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_https_signed_request_seen_over_http_is_403(client, org_a, settings):
    settings.PUBLIC_BASE_URL = ""
    params = inbound_params(to=ORG_A_NUMBER)
    response = post_signed(
        client, reverse("twilio:sms-incoming"), params, signed_url="https://testserver/api/twilio/sms-incoming"
    )
    assert response.status_code == 403


def test_public_base_url_is_what_is_signed(client, org_a, settings):
    settings.PUBLIC_BASE_URL = "https://inbox.example.com"
    params = inbound_params(to=ORG_A_NUMBER)
    response = post_signed(
        client, reverse("twilio:sms-incoming"), params, signed_url="https://inbox.example.com/api/twilio/sms-incoming"
    )
    assert response.status_code == 200
    assert Message.objects.count() == 1


def test_extra_unknown_fields_are_accepted_when_signed(client, org_a):
    response = post_inbound(client, to=ORG_A_NUMBER, AddOns='{"status":"successful"}', BrandNewTwilioField="x")
    assert response.status_code == 200
    assert Message.objects.get().body == "Hello"


def test_unknown_number_is_200_and_stores_nothing(client, org_a, caplog):
    before = row_counts()
    with caplog.at_level(logging.INFO, logger="messaging"):
        response = post_inbound(client, to="+13105550199")
    assert response.status_code == 200
    assert response.content.decode() == EMPTY_TWIML
    assert row_counts() == before
    assert any("+13105550199" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "override",
    [
        {"MessageSid": "", "SmsSid": "", "SmsMessageSid": ""},
        {"MessageSid": "SM123", "SmsSid": "", "SmsMessageSid": ""},
        {"From": "not-a-number"},
        {"From": ""},
        {"To": "12"},
    ],
)
def test_malformed_signed_post_is_200_and_stores_nothing(client, org_a, override):
    params = {**inbound_params(to=ORG_A_NUMBER), **override}
    before = row_counts()
    response = post_signed(client, reverse("twilio:sms-incoming"), params)
    assert response.status_code == 200
    assert row_counts() == before


def test_oversized_body_is_413_before_anything_else(client, org_a):
    params = inbound_params(to=ORG_A_NUMBER, body="x" * (70 * 1024))
    response = post_signed(client, reverse("twilio:sms-incoming"), params)
    assert response.status_code == 413
    assert not Message.objects.exists()


@pytest.mark.parametrize("length", ["²", "\u0663", "1" * 5000])
def test_a_content_length_that_is_not_ascii_digits_is_413(client, org_a, length):
    """'²'.isdigit() is true but int('²') raises: refused like any unreadable length, before the signature."""
    params = inbound_params(to=ORG_A_NUMBER)
    response = client.post(
        reverse("twilio:sms-incoming"), data=params, headers={"X-Twilio-Signature": "x"}, CONTENT_LENGTH=length
    )
    assert response.status_code == 413
    assert not Message.objects.exists()


def test_get_is_not_allowed(client, org_a):
    assert client.get(reverse("twilio:sms-incoming")).status_code == 405
    assert client.get(reverse("twilio:sms-status")).status_code == 405


def test_status_callback_is_signed_too(client, conversation_a):
    response = client.post(reverse("twilio:sms-status"), data={"MessageSid": new_sid(), "MessageStatus": "sent"})
    assert response.status_code == 403


def test_status_callback_with_our_id_in_the_query_is_signed_over_the_query(client, org_a, conversation_a):
    message = Message.objects.create(
        organization=org_a.organization,
        conversation=conversation_a,
        direction="out",
        from_number=ORG_A_NUMBER,
        to_number="+14155550101",
        status="pending",
    )
    sid = new_sid()
    response = post_status(client, sid=sid, status="sent", message_id=message.pk)
    assert response.status_code == 200
    message.refresh_from_db()
    assert (message.twilio_sid, message.status) == (sid, "sent")


def test_status_callback_for_an_unknown_sid_is_200_class(client, org_a):
    response = post_status(client, sid=new_sid(), status="delivered")
    assert response.status_code == 200
    assert not MessageEvent.objects.exists()


def test_status_callback_without_a_status_is_ignored(client, org_a):
    response = post_status(client, sid=new_sid(), status="")
    assert response.status_code == 200


# --- DRF views, today's answers: what the move to DRF must not have changed ----------------------------

INCOMING = "/api/twilio/sms-incoming"
STATUS = "/api/twilio/sms-status"
FORM = "application/x-www-form-urlencoded"


def test_a_json_body_with_a_valid_signature_is_ignored_as_before(client, org_a, caplog):
    """Only FormParser reads the body: JSON carries no fields, as it never did. Signed over its fields it is
    403; signed over the URL alone (what Django and DRF read of it: nothing) it is ignored with a 200."""
    body = json.dumps(inbound_params(to=ORG_A_NUMBER))
    before = row_counts()

    def post(signed_fields):
        signature = sign(f"http://testserver{INCOMING}", signed_fields)
        return client.generic(
            "POST", INCOMING, body, content_type="application/json", headers={"X-Twilio-Signature": signature}
        )

    assert post(json.loads(body)).status_code == 403
    with caplog.at_level(logging.WARNING, logger="messaging"):
        ignored = post({})
    assert (ignored.status_code, ignored["Content-Type"], ignored.content.decode()) == (200, "text/xml", EMPTY_TWIML)
    assert any("ignored (MessageSid -)" in r.getMessage() for r in caplog.records)
    assert row_counts() == before


def test_a_signed_multipart_post_is_stored_as_before(client, org_a):
    params = inbound_params(to=ORG_A_NUMBER, body="multipart")
    signature = sign(f"http://testserver{INCOMING}", params)
    response = client.post(INCOMING, data=params, headers={"X-Twilio-Signature": signature})  # multipart
    assert response.status_code == 200
    assert Message.objects.get().body == "multipart"


@pytest.mark.parametrize(("query", "accept"), [("", "application/json"), ("format=json", "*/*"), ("format=api", "")])
def test_the_answer_is_twiml_whatever_accept_or_format_say(client, org_a, query, accept):
    headers = {"Accept": accept} if accept else {}
    response = post_signed(client, INCOMING, inbound_params(to=ORG_A_NUMBER), query=query, headers=headers)
    assert (response.status_code, response["Content-Type"], response.content.decode()) == (200, "text/xml", EMPTY_TWIML)
    assert "Allow" not in response  # DRF's default headers are not added: the answer is what it was
    assert Message.objects.count() == 1


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", [INCOMING, STATUS])
def test_every_method_but_post_is_405_as_django_answers_and_logs_it(client, org_a, captured_logs, method, path):
    response = client.generic(method, path, "x" * 70_000)  # refused before the size and the signature
    assert (response.status_code, response["Allow"], response.content) == (405, "POST", b"")
    assert captured_logs.lines == [f"django.request WARNING Method Not Allowed ({method}): {path}"]


def test_a_refusal_is_logged_once_by_us_and_not_again_by_django(client, org_a, captured_logs):
    """_has_been_logged: the 403 and the 413 are one line each; Django's request logger stays quiet."""
    params = inbound_params(to=ORG_A_NUMBER)
    response = client.post(INCOMING, data=urlencode(params), content_type=FORM, headers={"X-Twilio-Signature": "x"})
    assert (response.status_code, response["Content-Type"]) == (403, "text/plain")
    assert response.content == b"Invalid Twilio signature."
    assert captured_logs.lines == [
        f"messaging.twilio.webhooks WARNING twilio webhook {INCOMING} refused: bad signature "
        f"(MessageSid {params['MessageSid']})"
    ]
    captured_logs.lines.clear()
    response = client.post(STATUS, data=urlencode({"Body": "x" * 70_000}), content_type=FORM)
    assert (response.status_code, response["Content-Type"]) == (413, "text/plain")
    assert response.content == b"Request body too large."
    assert captured_logs.lines == [
        f"messaging.twilio.webhooks WARNING twilio webhook {STATUS} refused: body of 70005 bytes"
    ]


@pytest.mark.parametrize("path", [INCOMING, STATUS])
def test_a_database_error_is_a_503_logged_with_the_message_sid(client, org_a, monkeypatch, captured_logs, path):
    def unavailable(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(intake_services, "message_receive", unavailable)
    monkeypatch.setattr(intake_services, "message_status_update", unavailable)
    params = inbound_params(to=ORG_A_NUMBER) if path == INCOMING else status_params(sid=new_sid(), status="sent")
    response = post_signed(client, path, params)
    assert (response.status_code, response["Content-Type"]) == (503, "text/plain")
    assert response.content == b"Temporarily unavailable."
    (ours,) = [line for line in captured_logs.lines if line.startswith("messaging.twilio.webhooks")]
    assert ours.splitlines()[0] == (
        f"messaging.twilio.webhooks ERROR twilio webhook {path} failed, Twilio will retry "
        f"(MessageSid {params['MessageSid']})"
    )
    assert ours.splitlines()[-1] == "django.db.utils.OperationalError: connection refused"  # with its traceback
    assert f"django.request ERROR Service Unavailable: {path}" in captured_logs.lines  # as before: not a 4xx
    assert not Message.objects.exists()


def test_no_csrf_and_no_session_authentication(org_a):
    """A signed post from a browser holding a session but no CSRF token is Twilio's; an unsigned one with a
    session is refused: the session authenticates nothing here, and nothing answers in the REST API's JSON."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org_a.user)
    assert post_inbound(browser, to=ORG_A_NUMBER).status_code == 200
    response = browser.post(INCOMING, data=urlencode(inbound_params(to=ORG_A_NUMBER)), content_type=FORM)
    assert (response.status_code, response.content) == (403, b"Invalid Twilio signature.")
    assert Message.objects.count() == 1


def test_a_permanent_refusal_is_200_with_one_line_naming_the_message_and_why(client, org_a, captured_logs):
    """Signed but unusable for good (a number nobody owns; a field Twilio always sends missing): 200 so that
    Twilio stops retrying, and exactly one warning that names the MessageSid and the reason."""
    params = inbound_params(to="+13105550199")
    assert post_signed(client, INCOMING, params).status_code == 200
    assert captured_logs.lines == [
        f"messaging.twilio.webhooks WARNING inbound {params['MessageSid']} ignored: no organization owns +13105550199"
    ]
    captured_logs.lines.clear()
    broken = {k: v for k, v in inbound_params(to=ORG_A_NUMBER).items() if k != "From"}
    assert post_signed(client, INCOMING, broken).status_code == 200
    (line,) = captured_logs.lines
    assert line.startswith(f"messaging.twilio.webhooks WARNING twilio webhook {INCOMING} ignored (MessageSid ")
    assert broken["MessageSid"] in line
    assert "From" in line
    assert not Message.objects.exists()
