"""Webhook bodies by size: over 64 kB is a 413 before anything is read, and a Content-Length that is not
ASCII digits is refused."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from messaging.models import Message
from messaging.twilio.webhooks import MAX_BODY_BYTES
from tests.reliability.bad_input.helpers import INCOMING, ORG_NUMBER, STATUS
from tests.twilio_posts import inbound_params, new_sid, post_signed, sign


@pytest.mark.parametrize("path", [INCOMING, STATUS])
def test_a_body_over_64_kb_is_refused_before_anything_is_read(client, org_a, django_assert_num_queries, path):
    """413 before the signature is checked (so even unsigned) and before any query; 64 kB exactly is read."""
    filler = "x" * (MAX_BODY_BYTES + 1 - len(urlencode({"Body": ""})))
    with django_assert_num_queries(0):
        response = client.generic(
            "POST", path, urlencode({"Body": filler}), content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 413
    assert not Message.objects.exists()


def test_64_kb_exactly_is_read_and_one_byte_more_is_413(client, org_a):
    params = inbound_params(to=ORG_NUMBER, body="")
    params["Body"] = "x" * (MAX_BODY_BYTES - len(urlencode(params)))
    assert len(urlencode(params)) == MAX_BODY_BYTES
    assert post_signed(client, INCOMING, params).status_code == 200
    assert Message.objects.get().body == params["Body"]
    params = {**params, "MessageSid": new_sid(), "Body": params["Body"] + "x"}
    assert post_signed(client, INCOMING, params).status_code == 413
    assert Message.objects.count() == 1


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", " 12", ""])
def test_an_unreadable_content_length_is_refused(client, org_a, length):
    params = inbound_params(to=ORG_NUMBER)
    body = urlencode(params)
    response = client.generic(
        "POST",
        INCOMING,
        body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(f"http://testserver{INCOMING}", params)},
        CONTENT_LENGTH=length,
    )
    assert response.status_code in {403, 413}
    assert not Message.objects.exists()


def test_a_superscript_content_length_is_not_a_500(client, org_a):
    """'²'.isdigit() is true but int('²') raises (uvicorn's h11 refuses such a header first: defence in depth)."""
    body = urlencode(inbound_params(to=ORG_NUMBER))
    response = client.generic(
        "POST", INCOMING, body, content_type="application/x-www-form-urlencoded", CONTENT_LENGTH="²"
    )
    assert response.status_code == 413
