"""Status callbacks through the real view, signed: any callback moves the message's status forward or
changes nothing, whatever its fields and its ``?m=`` say."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.models import Message, MessageEvent
from messaging.services.outbound import message_send
from messaging.statuses import MessageStatus
from tests.reliability.bad_input.helpers import FUZZ, SID, STATUS, any_text, no_text_has_nul, rolled_back, row_counts
from tests.twilio_posts import new_sid, post_signed, status_params


@pytest.fixture
def sent_message(client, org_a, conversation_a) -> Message:
    """An outbound message of organization A that Twilio has accepted (its SID recorded by a callback)."""
    message = message_send(
        organization=org_a.organization, sender=org_a.user, contact=conversation_a.contact, body="Your table is ready"
    ).message
    response = post_signed(
        client, STATUS, status_params(sid=new_sid(), status="queued"), query=urlencode({"m": message.pk})
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.twilio_sid
    return message


@st.composite
def status_posts(draw: st.DrawFn, sid: str, message_id: int) -> tuple[dict[str, str], str]:
    status = draw(
        st.one_of(st.sampled_from([s.value for s in MessageStatus]), st.sampled_from(["DELIVERED", ""]), any_text)
    )
    params = status_params(sid=draw(st.one_of(st.just(sid), SID)), status=status)
    params.update(
        draw(
            st.dictionaries(
                st.sampled_from(["ErrorCode", "ErrorMessage", "MessageStatus", "SmsStatus", "NumSegments", "Price"]),
                st.one_of(st.integers(-5, 10**12).map(str), any_text),
                max_size=4,
            )
        )
    )
    for key in draw(st.sets(st.sampled_from(["MessageSid", "SmsSid", "To", "From", "AccountSid", "ApiVersion"]))):
        params.pop(key, None)
    query = draw(st.one_of(st.just(""), st.just(f"m={message_id}"), any_text.map(lambda t: "m=" + quote(t))))
    return params, query


@FUZZ
@given(data=st.data())
def test_any_signed_status_callback_moves_the_status_forward_or_changes_nothing(client, sent_message, data):
    params, query = data.draw(status_posts(sent_message.twilio_sid, sent_message.pk))
    rank = sent_message.status_rank
    with rolled_back():
        before = row_counts()
        response = post_signed(client, STATUS, params, query=query)
        assert response.status_code in {200, 400, 403}, response.content
        message = Message.objects.get(pk=sent_message.pk)
        hypothesis.event(f"{response.status_code}, status {message.status}")
        assert message.status in MessageStatus.values
        assert message.status_rank >= rank
        assert message.twilio_sid == sent_message.twilio_sid
        after = row_counts()
        assert after["MessageEvent"] - before["MessageEvent"] in {0, 1}
        for model in ("Contact", "Conversation", "Message", "MessageMedia"):
            assert after[model] == before[model]
        if response.status_code != 200:
            assert after == before
        assert "\\u0000" not in json.dumps(list(MessageEvent.objects.values_list("payload", flat=True)))
        assert no_text_has_nul()


@pytest.mark.parametrize("where", ["ErrorCode", "m"])
def test_a_superscript_digit_in_a_status_callback_is_not_a_500(client, sent_message, where):
    """'³'.isdigit() is true but int('³') raises: ErrorCode and ?m= are read as ASCII digits only."""
    params = status_params(sid=sent_message.twilio_sid, status="undelivered")
    if where == "ErrorCode":
        params["ErrorCode"] = "³"
    response = post_signed(client, STATUS, params, query="m=%C2%B2" if where == "m" else "")
    assert response.status_code == 200
    message = Message.objects.get(pk=sent_message.pk)
    assert (message.status, message.error_code) == ("undelivered", None)
