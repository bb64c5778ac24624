"""What Twilio tells us about a message is recorded the same whichever way it arrives.

Four sources carry the same facts: the answer to the create request, a lookup after an
ambiguous attempt, a status callback and reconciliation. The emulator holds the Message
resource (its magic numbers end ``undelivered`` 30005 or ``failed`` 21610); each test drives one
source through its real entry point and compares the stored row and the live events.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Contact
from conversations.services import contact_create, contact_opt_in
from messaging.models import Message
from messaging.services.delivery import message_deliver
from messaging.services.outbound import message_send
from messaging.services.reconcile import messages_reconcile
from messaging.twilio import client
from messaging.twilio.emulator.state import UNKNOWN_HANDSET_TO, UNSUBSCRIBED_LATER_TO, status_callback_params
from tests.pipeline import drain_tasks, long_ago, running_emulator, wait_for
from tests.twilio_posts import collect_live_events, post_signed

pytestmark = pytest.mark.django_db(transaction=True)

FROM = "+14155550001"
STATUS_PATH = "/api/twilio/sms-status"
ROW_FACTS = ("status", "error_code", "error_message")
PRICED_FACTS = ("num_segments", "price", "price_unit")
SOURCES = ("lookup", "callback", "reconcile")


@pytest.fixture
def emulator(settings, org_a):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:9"  # the emulator's own callbacks go nowhere: each test delivers
    settings.SEND_RETRY_BASE_SECONDS = 0.05
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    settings.SEND_RATE_LIMIT = False
    settings.RECONCILE_AFTER_SECONDS = 60
    with running_emulator(settings, numbers=[FROM], callback_delay=0.0) as emulator:
        yield emulator


def _post_callback(django_client, params: dict, *, query: str = ""):
    """A signed status callback, signed for the public URL Twilio was given (``PUBLIC_BASE_URL``)."""
    from django.conf import settings

    url = f"{settings.PUBLIC_BASE_URL}{STATUS_PATH}" + (f"?{query}" if query else "")
    return post_signed(django_client, STATUS_PATH, params, query=query, signed_url=url)


def _send(org_a, to: str, body: str = "Your appointment is tomorrow at 9") -> Message:
    contact = Contact.objects.filter(organization=org_a.organization, phone=to).first() or contact_create(
        organization=org_a.organization, phone=to
    )
    return message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body=body).message


def _at_twilio(emulator, message: Message) -> dict:
    """Create the message at the emulator (as a request whose answer we lost) and let it finish."""
    created = client.send_message(
        to=message.to_number, from_=FROM, body=message.body, media_urls=[], status_callback=""
    )
    assert emulator.wait_idle(10)
    return emulator.message(created.sid)


def _deliver_fact(source: str, emulator, message: Message, django_client) -> None:
    """Let Twilio's final facts about ``message`` reach us by ``source``."""
    if source == "lookup":  # a worker died mid-request: the next attempt looks the message up
        _at_twilio(emulator, message)
        Message.objects.filter(pk=message.pk).update(dispatch_started_at=long_ago(600), send_attempts=1)
        assert message_deliver(message_id=message.pk) == "reconciled"
        return
    drain_tasks()  # the create answer binds the SID (queued); the lifecycle then runs at the emulator
    message.refresh_from_db()
    assert message.status == "queued"
    assert emulator.wait_idle(10)
    resource = emulator.message(message.twilio_sid)
    if source == "callback":
        with emulator.state._lock:
            params = status_callback_params(emulator.state._get(resource["sid"]))
        response = _post_callback(django_client, params, query=f"m={message.pk}")
        assert response.status_code == 200
    else:
        Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - timedelta(seconds=120))
        assert messages_reconcile().fetched == 1


def _facts(message: Message) -> dict:
    message.refresh_from_db()
    contact = Contact.objects.get(pk=message.conversation.contact_id)
    return {
        **{name: getattr(message, name) for name in ROW_FACTS},
        "sent_at_set": message.sent_at is not None,
        "delivered_at_set": message.delivered_at is not None,
        "opt_out_method": contact.opt_out_method,
        "opt_out_message_is_this": contact.opt_out_message_id == message.pk,
    }


def _status_events(events: list[dict], message: Message) -> list[dict]:
    """The live status events about ``message``, without what differs by nature (times)."""
    found = []
    for event in events:
        payload = event["payload"]
        if event["type"] == "message.status_changed" and payload["id"] == message.pk:
            found.append({k: v for k, v in payload.items() if not k.endswith("At")})
    return found


def _run(source: str, to: str, org_a, emulator, client) -> tuple[dict, list[dict], Message]:
    earlier = Contact.objects.filter(organization=org_a.organization, phone=to).first()
    if earlier is not None:
        contact_opt_in(contact=earlier)  # the person texted START since an earlier run opted them out
    message = _send(org_a, to)
    events = collect_live_events(org_a.organization.id, lambda: _deliver_fact(source, emulator, message, client))
    facts = _facts(message)
    status_events = _status_events(events, message)
    return facts, [{**e, "id": None} for e in status_events], message


@pytest.mark.parametrize("source", SOURCES)
def test_undelivered_30005_is_recorded_with_its_code_from_every_source(source, org_a, emulator, client):
    facts, events, _ = _run(source, UNKNOWN_HANDSET_TO, org_a, emulator, client)
    assert facts["status"] == "undelivered"
    assert facts["error_code"] == 30005
    assert "unknown to the carrier" in facts["error_message"]
    assert events[-1]["errorCode"] == 30005
    assert events[-1]["status"] == "undelivered"


@pytest.mark.parametrize("source", SOURCES)
def test_failed_21610_opts_the_contact_out_from_every_source(source, org_a, emulator, client):
    facts, events, _message = _run(source, UNSUBSCRIBED_LATER_TO, org_a, emulator, client)
    assert (facts["status"], facts["error_code"]) == ("failed", 21610)
    assert "unsubscribed" in facts["error_message"]
    assert facts["opt_out_method"] == "error_21610"
    assert facts["opt_out_message_is_this"]
    assert events[-1]["errorCode"] == 21610


@pytest.mark.parametrize("to", [UNKNOWN_HANDSET_TO, UNSUBSCRIBED_LATER_TO])
def test_every_source_records_identical_rows_and_events(to, org_a, emulator, client):
    results = {source: _run(source, to, org_a, emulator, client) for source in SOURCES}
    facts = {source: result[0] for source, result in results.items()}
    events = {source: result[1] for source, result in results.items()}
    assert facts["lookup"] == facts["callback"] == facts["reconcile"]
    # The status events differ in how many steps each source saw (queued first, or straight to the end),
    # never in what the last one says.
    assert events["lookup"][-1] == events["callback"][-1] == events["reconcile"][-1]
    # Price and segments are carried by the REST resource (lookup, reconciliation), not by callbacks.
    priced = {s: tuple(getattr(results[s][2], n) for n in PRICED_FACTS) for s in ("lookup", "reconcile")}
    if to == UNKNOWN_HANDSET_TO:
        assert priced["lookup"] == priced["reconcile"]
        assert priced["lookup"][1] is not None
        assert priced["lookup"][1] < 0


def test_the_create_answer_records_the_same_facts_as_a_lookup(org_a, emulator):
    """Twilio's answer to the create request and a lookup of the same resource store the same row."""
    answered = _send(org_a, "+14155550101", body="answered")
    drain_tasks()
    looked_up = _send(org_a, "+14155550102", body="looked up")
    created = client.send_message(
        to=looked_up.to_number, from_=FROM, body=looked_up.body, media_urls=[], status_callback=""
    )
    with emulator.state._lock:  # freeze the lookup's copy where the create answer was: queued
        emulator.state._get(created.sid).status = "queued"
    Message.objects.filter(pk=looked_up.pk).update(dispatch_started_at=long_ago(600), send_attempts=1)
    assert message_deliver(message_id=looked_up.pk) == "reconciled"
    answered.refresh_from_db()
    looked_up.refresh_from_db()
    same = ("status", "error_code", "error_message", "num_segments", "send_attempts", "dispatch_started_at")
    assert [getattr(answered, n) for n in same] == [getattr(looked_up, n) for n in same]
    assert answered.status == "queued"


def test_a_same_rank_callback_brings_the_code_a_lookup_did_not_have(org_a, emulator, client):
    """``undelivered`` without a code (as an older lookup left it), then the real callback with 30005."""
    message = _send(org_a, UNKNOWN_HANDSET_TO)
    drain_tasks()
    message.refresh_from_db()
    sid = message.twilio_sid
    base = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": emulator.state.account_sid,
        "From": FROM,
        "To": UNKNOWN_HANDSET_TO,
        "ApiVersion": "2010-04-01",
    }

    def callback(status: str, **extra: str) -> None:
        params = {**base, "MessageStatus": status, "SmsStatus": status, **extra}
        assert _post_callback(client, params).status_code == 200

    callback("undelivered")
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("undelivered", None)

    events = collect_live_events(org_a.organization.id, lambda: callback("undelivered", ErrorCode="30005"))
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("undelivered", 30005)
    assert "unknown to the carrier" in message.error_message
    assert [e["payload"]["errorCode"] for e in events if e["type"] == "message.status_changed"] == [30005]

    repeated = collect_live_events(org_a.organization.id, lambda: callback("undelivered", ErrorCode="30005"))
    assert repeated == []  # an exact duplicate changes and announces nothing


def test_a_precise_code_replaces_unknown_error_but_not_the_reverse(org_a, emulator, client):
    message = _send(org_a, "+14155550101")
    drain_tasks()
    message.refresh_from_db()
    sid = message.twilio_sid

    def callback(status: str, code: str) -> None:
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": emulator.state.account_sid,
            "From": FROM,
            "To": "+14155550101",
            "ApiVersion": "2010-04-01",
            "ErrorCode": code,
        }
        assert _post_callback(client, params).status_code == 200

    callback("failed", "30008")
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", 30008)
    callback("failed", "30007")
    message.refresh_from_db()
    assert message.error_code == 30007
    callback("failed", "30008")
    callback("undelivered", "30003")
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", 30007)


def test_a_late_failure_callback_never_puts_a_code_on_a_delivered_message(org_a, emulator, client):
    message = _send(org_a, "+14155550101")
    drain_tasks()
    message.refresh_from_db()
    sid = message.twilio_sid
    for status, extra in (("delivered", {}), ("undelivered", {"ErrorCode": "30005"})):
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": emulator.state.account_sid,
            "From": FROM,
            "To": "+14155550101",
            "ApiVersion": "2010-04-01",
            **extra,
        }
        assert _post_callback(client, params).status_code == 200
    wait_for(lambda: Message.objects.get(pk=message.pk).status == "delivered")
    message.refresh_from_db()
    assert (message.status, message.error_code, message.error_message) == ("delivered", None, "")
