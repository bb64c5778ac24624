"""Twilio webhooks: unsigned, forged and replayed requests are 403, write nothing and are logged."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest

from conversations.models import Contact, Conversation
from messaging.models import Message
from tests.reliability.security.world import INCOMING, ORG_A_NUMBER, STATUS, all_rows
from tests.twilio_posts import inbound_params, post_signed, sign, status_params


def _snapshot_everything() -> tuple:
    return (
        all_rows(),
        list(Message.objects.order_by("pk").values_list("pk", "status", "twilio_sid", "error_code")),
        list(Contact.objects.order_by("pk").values_list("pk", "opted_out_at")),
        list(Conversation.objects.order_by("pk").values_list("pk", "unread_count", "status")),
    )


def _forgeries(path: str, params: dict[str, str], query: str) -> dict[str, tuple[dict[str, str], str, dict[str, str]]]:
    """name -> (posted fields, query, headers): each is what an attacker could send."""
    here = f"http://testserver{path}" + (f"?{query}" if query else "")
    other_path = STATUS if path == INCOMING else INCOMING
    return {
        "unsigned": (params, query, {}),
        "empty signature": (params, query, {"X-Twilio-Signature": ""}),
        "garbage signature": (params, query, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}),
        "another account's token": (params, query, {"X-Twilio-Signature": sign(here, params, "not-our-auth-token")}),
        "replayed to the other webhook": (
            params,
            query,
            {"X-Twilio-Signature": sign(f"http://testserver{other_path}" + (f"?{query}" if query else ""), params)},
        ),
        "replayed to another host": (
            params,
            query,
            {"X-Twilio-Signature": sign(here.replace("testserver", "evil.example"), params)},
        ),
        "replayed from https": (params, query, {"X-Twilio-Signature": sign(here.replace("http:", "https:"), params)}),
        "another query": (params, "m=1", {"X-Twilio-Signature": sign(here, params)}),
        "query dropped": (params, "", {"X-Twilio-Signature": sign(here, params)}) if query else None,
        "a field changed": (
            {**params, "Body": "tampered", "MessageStatus": "failed"},
            query,
            {"X-Twilio-Signature": sign(here, params)},
        ),
        "a field added": ({**params, "OptOutType": "STOP"}, query, {"X-Twilio-Signature": sign(here, params)}),
        "a field removed": (
            {k: v for k, v in params.items() if k != "ApiVersion"},
            query,
            {"X-Twilio-Signature": sign(here, params)},
        ),
        "another AccountSid": (
            {**params, "AccountSid": "AC" + "9" * 32},
            query,
            {"X-Twilio-Signature": sign(here, {**params, "AccountSid": "AC" + "9" * 32})},
        ),
    }


@pytest.mark.parametrize("path", [INCOMING, STATUS])
def test_forged_and_replayed_webhooks_are_403_write_nothing_and_are_logged(acme, client, caplog, path):
    a = acme
    if path == INCOMING:
        params, query = inbound_params(to=ORG_A_NUMBER, from_="+14155550163", body="STOP"), ""
    else:  # a failure that would opt the contact out (21610) if it were believed
        params = status_params(
            sid=a.outbound.twilio_sid, status="undelivered", to="+14155550163", from_=ORG_A_NUMBER, ErrorCode="21610"
        )
        query = urlencode({"m": a.outbound.pk})
    before = _snapshot_everything()
    for name, forgery in _forgeries(path, params, query).items():
        if forgery is None:
            continue
        fields, forged_query, headers = forgery
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="messaging"):
            response = client.post(
                f"{path}?{forged_query}" if forged_query else path,
                data=urlencode(fields),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        assert response.status_code == 403, name
        assert _snapshot_everything() == before, name
        assert any("bad signature" in record.getMessage() for record in caplog.records), name
    # The control: the genuine request is accepted and does write (so the refusals above mean something).
    assert post_signed(client, path, params, query=query).status_code == 200
    assert _snapshot_everything() != before


def test_public_base_url_is_what_must_be_signed(acme, client, settings):
    settings.PUBLIC_BASE_URL = "https://inbox.example.com"
    params = inbound_params(to=ORG_A_NUMBER)
    before = _snapshot_everything()
    assert post_signed(client, INCOMING, params).status_code == 403  # signed for http://testserver
    assert _snapshot_everything() == before
    good = post_signed(client, INCOMING, params, signed_url=f"https://inbox.example.com{INCOMING}")
    assert good.status_code == 200
