"""An open inbox must end on the conversation row as it is, whatever order two requests' events leave in.

Found by the retry storm (``live_unread_stale``): each request commits, then publishes its
conversation row; a request that commits first but publishes last left every open inbox on
a stale row (unread count, preview) until something else changed. Here the interleaving is
made certain: request B runs from start to end between request A's commit and A's publish —
what a descheduled thread or a slow Redis round-trip does by chance in the storm. Rows carry
the conversation's ``version`` (raised by the database on every update), and an inbox drops a
row strictly older than the one it shows (``conversation_payload``; ``static/js/list.js``).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections, transaction
from django.test import Client

from conversations.models import Conversation
from conversations.payloads import conversation_payload
from messaging.services import message_receive
from messaging.twilio.payloads import parse_inbound
from smsinbox.casing import camelize
from smsinbox.events import Event
from tests.reliability.live import LiveRecorder
from tests.twilio_posts import inbound_params, post_inbound

TO = "+14155550001"
FROM = "+14155550177"


def shown_rows(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The row an open inbox shows for each conversation after hearing ``rows`` in this order: as
    ``upsert`` in static/js/list.js (``shouldApply``), it drops a row strictly older than the one shown."""
    shown: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["id"] not in shown or row["version"] >= shown[row["id"]]["version"]:
            shown[row["id"]] = row
    return shown


@pytest.mark.django_db(transaction=True)
def test_the_last_conversation_row_an_inbox_hears_is_the_current_one(org_a) -> None:
    answers: list[int] = []

    def request_b_meanwhile() -> None:
        """Request B, start to end, on a server thread of its own, before request A's events leave."""

        def post() -> None:
            try:
                answers.append(post_inbound(Client(), to=TO, from_=FROM, body="second").status_code)
            finally:
                connections.close_all()

        thread = threading.Thread(target=post)
        thread.start()
        thread.join()

    with LiveRecorder(org_a.organization.pk, quiet=0.5) as recorder:
        with transaction.atomic():  # request A; its events leave after this block commits, B's hook first
            transaction.on_commit(request_b_meanwhile)
            message_receive(sms=parse_inbound(inbound_params(to=TO, from_=FROM, body="first")))
        heard = recorder.stop()

    conversation = Conversation.objects.get(organization=org_a.organization)
    rows = [event["payload"] for event in heard if event["type"] == Event.CONVERSATION_UPDATED]
    assert answers == [200]
    assert conversation.unread_count == 2
    assert conversation.last_message_preview == "second"
    assert len(rows) == 2  # one per change
    # The race happened: B's row was heard first, A's older row last.
    assert [(row["unreadCount"], row["lastMessagePreview"]) for row in rows] == [(2, "second"), (1, "first")]
    assert [row["version"] for row in rows] == [2, 1]
    # An open inbox keeps B's row, which is the row as stored, version included:
    stored = camelize(
        conversation_payload(Conversation.objects.select_related("contact", "assignee").get(pk=conversation.pk))
    )
    assert shown_rows(rows) == {conversation.pk: stored}
