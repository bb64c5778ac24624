"""The inbox page: access, search, filters, read state, escaping, and query counts that stay flat."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from conversations.models import NOTE_MAX_LENGTH, Conversation
from conversations.payloads import conversation_payload
from conversations.services import contact_create, contact_opt_out, conversation_assign
from messaging.attachments import rules as attachment_rules
from messaging.models import Message
from messaging.payloads import message_payload
from messaging.segments import GSM7_BASIC, GSM7_EXTENSION, MAX_BODY_CHARACTERS
from messaging.services.outbound import MAX_MEDIA
from messaging.statuses import STATUS_RANK, MessageStatus
from smsinbox import events
from smsinbox.casing import camelize
from smsinbox.models import Membership
from smsinbox.web.consumers import UNAUTHENTICATED
from tests.twilio_posts import post_inbound

TO = "+14155550001"


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


def inbound(client, n, start=0, body="hello"):
    for i in range(start, start + n):
        post_inbound(client, to=TO, from_=f"+1415556{i:04d}", body=f"{body} {i}")


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_anonymous_goes_to_login(client, org_a):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_inbox_lists_newest_first(client, alice):
    inbound(client, 3)
    page = alice.get(reverse("home")).content.decode()
    assert page.index("hello 2") < page.index("hello 1") < page.index("hello 0")
    assert 'aria-label="1 unread"' in page


def test_list_and_thread_query_counts_do_not_grow(client, alice):
    inbound(client, 3)
    conversation = Conversation.objects.first()
    for i in range(3):
        post_inbound(client, to=TO, from_=str(conversation.contact.phone), body=f"more {i}")
    few_list = queries(alice, reverse("home"))
    few_thread = queries(alice, reverse("inbox-thread", args=[conversation.pk]))
    inbound(client, 60, start=100)
    for i in range(60):
        post_inbound(client, to=TO, from_=str(conversation.contact.phone), body=f"again {i}")
    assert queries(alice, reverse("home")) == few_list
    assert queries(alice, reverse("inbox-thread", args=[conversation.pk])) == few_thread


def test_opening_a_thread_marks_it_read(client, alice):
    inbound(client, 1)
    conversation = Conversation.objects.get()
    assert conversation.unread_count == 1
    alice.get(reverse("inbox-thread", args=[conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.unread_count == 0


def test_each_row_renders_the_version_live_rows_are_ordered_by(client, alice):
    inbound(client, 1)
    conversation = Conversation.objects.get()
    post_inbound(client, to=TO, from_=str(conversation.contact.phone), body="again")
    page = alice.get(reverse("home")).content.decode()
    assert f'data-id="{conversation.pk}" data-version="2"' in page
    page = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()  # marks it read first
    assert f'data-id="{conversation.pk}" data-version="3"' in page


def test_another_organizations_thread_is_a_404(client, org_a, org_b):
    post_inbound(client, to="+12125550002", body="for Bravo")
    foreign = Conversation.objects.get()
    client.force_login(org_a.user)
    for name in ("inbox-thread", "inbox-older"):
        assert client.get(reverse(name, args=[foreign.pk])).status_code == 404
    for name in ("inbox-read", "inbox-status", "inbox-assign", "inbox-send"):
        assert client.post(reverse(name, args=[foreign.pk]), {"status": "closed", "body": "x"}).status_code == 404
    assert "for Bravo" not in client.get(reverse("home")).content.decode()
    foreign.refresh_from_db()
    assert (foreign.status, foreign.unread_count) == ("open", 1)


def test_bodies_are_escaped(client, alice):
    post_inbound(client, to=TO, body="<img src=x onerror=alert(1)>")
    conversation = Conversation.objects.get()
    page = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page


def test_no_inline_script_and_a_strict_csp(client, alice):
    response = alice.get(reverse("home"))
    page = response.content.decode()
    assert "<script>" not in page
    assert "onclick=" not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("typed", ["(415) 556-0007", "415.556.0007", "+1 415 556 0007", "556-0007"])
def test_search_by_number_in_any_format(client, alice, typed):
    inbound(client, 10)
    page = alice.get(reverse("home"), {"q": typed}).content.decode()
    assert "hello 7" in page
    assert "hello 6" not in page


def test_search_by_name_and_by_message_text(client, alice, org_a):
    inbound(client, 3)
    contact = Conversation.objects.get(last_message_preview="hello 1").contact
    contact.first_name, contact.last_name = "Maria", "Garcia"
    contact.save()
    post_inbound(client, to=TO, from_="+14155560000", body="where is my parcel?")
    by_name = alice.get(reverse("home"), {"q": "maria garcia"}).content.decode()
    assert "hello 1" in by_name
    assert "hello 2" not in by_name
    by_text = alice.get(reverse("home"), {"q": "parcel"}).content.decode()
    assert "where is my parcel?" in by_text
    assert "hello 2" not in by_text


def test_filters(client, alice, org_a):
    inbound(client, 3)
    first, second, third = Conversation.objects.order_by("id")
    alice.post(reverse("inbox-status", args=[first.pk]), {"status": "closed"})
    conversation_assign(conversation=second, assignee_id=org_a.user.pk)
    alice.get(reverse("inbox-thread", args=[third.pk]))  # read

    def listed(name):
        page = alice.get(reverse("home"), {"filter": name}).content.decode()
        return {c.pk for c in (first, second, third) if f'data-id="{c.pk}"' in page}

    assert listed("closed") == {first.pk}
    assert listed("open") == {second.pk, third.pk}
    assert listed("mine") == {second.pk}
    assert listed("unassigned") == {first.pk, third.pk}
    assert listed("unread") == {first.pk, second.pk}


def test_keyset_pages(client, alice):
    inbound(client, 55)
    first = alice.get(reverse("home"))
    assert first.context["page"].next_cursor
    second = alice.get(reverse("home"), {"cursor": first.context["page"].next_cursor})
    ids = [c.pk for c in first.context["page"].items] + [c.pk for c in second.context["page"].items]
    assert len(ids) == len(set(ids)) == 55


def test_load_older(client, alice):
    post_inbound(client, to=TO, body="first")
    conversation = Conversation.objects.get()
    for i in range(60):
        post_inbound(client, to=TO, body=f"later {i}")
    page = alice.get(reverse("inbox-thread", args=[conversation.pk]))
    assert "first" not in page.content.decode().split('id="messages"')[1]
    older = alice.get(reverse("inbox-older", args=[conversation.pk]), {"before": page.context["thread"].next_cursor})
    assert ">first<" in older.content.decode()


def test_send_close_reopen_and_assign_without_javascript(client, alice, org_a):
    contact = contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")
    conversation = alice.post(reverse("contact-message", args=[contact.pk]))
    conversation = Conversation.objects.get()
    alice.post(reverse("inbox-send", args=[conversation.pk]), {"body": "Hi Maria", "idempotency_key": "k1"})
    alice.post(reverse("inbox-send", args=[conversation.pk]), {"body": "Hi Maria", "idempotency_key": "k1"})
    assert list(Message.objects.values_list("body", "sent_by_id")) == [("Hi Maria", org_a.user.pk)]
    alice.post(reverse("inbox-status", args=[conversation.pk]), {"status": "closed"})
    alice.post(reverse("inbox-assign", args=[conversation.pk]), {"assignee": "me"})
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee_id) == ("closed", org_a.user.pk)
    alice.post(reverse("inbox-status", args=[conversation.pk]), {"status": "open"})
    alice.post(reverse("inbox-assign", args=[conversation.pk]), {"assignee": ""})
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee_id) == ("open", None)


def test_send_later_without_javascript_a_preset_and_a_custom_time_in_the_viewers_zone(client, alice, org_a):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    org_a.user.time_zone = "Asia/Tokyo"
    org_a.user.save()
    contact = contact_create(organization=org_a.organization, phone="+14155550101")
    alice.post(reverse("contact-message", args=[contact.pk]))
    conversation = Conversation.objects.get()
    url = reverse("inbox-send", args=[conversation.pk])
    preset = (datetime.now(ZoneInfo("UTC")) + timedelta(days=1)).replace(microsecond=0)
    alice.post(url, {"body": "Preset", "idempotency_key": "p1", "send_at": preset.isoformat()})
    local = (datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=2)).replace(second=0, microsecond=0)
    alice.post(url, {"body": "Custom", "idempotency_key": "c1", "schedule": "custom",
                     "send_at_local": local.strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
    stored = {m.body: m for m in Message.objects.all()}
    assert (stored["Preset"].status, stored["Preset"].send_at) == ("scheduled", preset)
    assert (stored["Custom"].status, stored["Custom"].send_at) == ("scheduled", local)  # read as Tokyo time


@pytest.mark.parametrize(
    "fields",
    [{"schedule": "custom", "send_at_local": ""}, {"send_at": "tomorrow"}, {"send_at": "2030-01-01T09:00"}],
)
def test_a_bad_send_later_without_javascript_says_why_and_keeps_the_draft(client, alice, org_a, fields):
    contact = contact_create(organization=org_a.organization, phone="+14155550101")
    alice.post(reverse("contact-message", args=[contact.pk]))
    conversation = Conversation.objects.get()
    response = alice.post(reverse("inbox-send", args=[conversation.pk]), {"body": "Later", **fields}, follow=True)
    page = response.content.decode()
    assert "date and time" in page or "offset" in page
    assert ">Later</textarea>" in page
    assert not Message.objects.exists()


def test_assigning_an_outsider_is_refused(client, alice, org_a, org_b):
    inbound(client, 1)
    conversation = Conversation.objects.get()
    response = alice.post(
        reverse("inbox-assign", args=[conversation.pk]), {"assignee": str(org_b.user.pk)}, follow=True
    )
    assert "must be an active member" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_opted_out_contact_disables_the_composer_with_the_reason(client, alice, org_a):
    post_inbound(client, to=TO, body="STOP")
    conversation = Conversation.objects.get()
    page = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    assert "opted out on" in page
    assert "by replying STOP" in page
    assert 'id="body" name="body" rows="3"' in page
    assert "disabled" in page.split('id="body"')[1].split(">")[0]


def test_timestamps_in_the_viewers_time_zone(client, alice, org_a):
    inbound(client, 1)
    conversation = Conversation.objects.get()
    org_a.user.time_zone = "Asia/Tokyo"
    org_a.user.save()
    page = alice.get(reverse("inbox-thread", args=[conversation.pk]))
    assert page.context["time_zone_name"] == "Asia/Tokyo"
    message = Message.objects.get()
    import zoneinfo

    from django.utils import timezone

    local = timezone.localtime(message.created_at, zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%-I:%M") in page.content.decode()


def test_browser_zone_cookie_is_used_when_the_user_chose_none(client, alice, org_a):
    alice.cookies["tz"] = "America/Los_Angeles"
    assert alice.get(reverse("home")).context["time_zone_name"] == "America/Los_Angeles"
    alice.cookies["tz"] = "Not/AZone"
    assert alice.get(reverse("home")).context["time_zone_name"] == "UTC"


def test_sync_returns_what_changed_since(client, alice, org_a):
    from django.utils import timezone

    inbound(client, 1)
    conversation = Conversation.objects.get()
    since = timezone.now().isoformat()
    post_inbound(client, to=TO, from_=str(conversation.contact.phone), body="while you were away")
    contact_opt_out(contact=contact_create(organization=org_a.organization, phone="+14155550199"), method="staff")
    data = alice.get(reverse("inbox-sync"), {"since": since, "conversation": conversation.pk}).json()
    assert [c["id"] for c in data["conversations"]] == [conversation.pk]
    assert data["conversations"][0]["version"] == Conversation.objects.get().version == 2
    assert [m["body"] for m in data["messages"]] == ["while you were away"]
    assert alice.get(reverse("inbox-sync"), {"since": "yesterday"}).status_code == 400


def test_organization_switcher(client, alice, org_a, org_b):
    Membership.objects.create(user=org_a.user, organization=org_b.organization, role="agent")
    page = alice.get(reverse("home")).content.decode()
    assert 'name="organization"' in page
    alice.post(reverse("switch-organization"), {"organization": org_b.organization.pk})
    assert alice.get(reverse("home")).context["organization"] == org_b.organization


@pytest.mark.parametrize("assignee", ["²", "\u0663", "9" * 23, "-1"])
def test_assigning_anything_but_an_id_is_a_400_and_changes_nothing(client, alice, assignee):
    """'²'.isdigit() is true (int('²') raises); 23 nines overflow SQLite: neither names a member."""
    inbound(client, 1)
    conversation = Conversation.objects.get()
    assert alice.post(reverse("inbox-assign", args=[conversation.pk]), {"assignee": assignee}).status_code == 400
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_switching_to_anything_but_an_organization_id_changes_nothing(client, alice, org_a):
    for wanted in ("²", "9" * 23, ""):
        assert alice.post(reverse("switch-organization"), {"organization": wanted}).status_code == 302
    assert alice.get(reverse("home")).context["organization"] == org_a.organization


def test_sync_reads_a_time_without_an_offset_as_utc(client, alice):
    """It was a 500 (``timezone.utc`` is gone since Django 5); ``conversation=²`` names no thread."""
    from datetime import UTC, timedelta

    from django.utils import timezone

    inbound(client, 1)
    conversation = Conversation.objects.get()
    now = timezone.now().astimezone(UTC).replace(tzinfo=None)
    before = (now - timedelta(minutes=5)).isoformat()
    data = alice.get(reverse("inbox-sync"), {"since": before, "conversation": "²"}).json()
    assert ([c["id"] for c in data["conversations"]], data["messages"]) == ([conversation.pk], [])
    later = (now + timedelta(minutes=5)).isoformat()
    assert alice.get(reverse("inbox-sync"), {"since": later}).json()["conversations"] == []
    for edge in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):  # no such time in UTC
        assert alice.get(reverse("inbox-sync"), {"since": edge}).status_code == 400


@pytest.mark.parametrize(
    "cursor", ["2026-01-01T00:00:00_1", "0001-01-01T00:00:00+14:00_1", "2026-01-01T00:00:00+00:00_²", "x_1"]
)
def test_a_cursor_the_page_did_not_write_starts_over(client, alice, cursor):
    inbound(client, 2)
    assert len(alice.get(reverse("home"), {"cursor": cursor}).context["page"].items) == 2
    conversation = Conversation.objects.first()
    assert alice.get(reverse("inbox-older", args=[conversation.pk]), {"before": cursor}).status_code == 200


def test_a_nul_in_the_search_is_a_400_as_in_the_api(client, alice):
    inbound(client, 1)
    conversation = Conversation.objects.get()
    assert alice.get(reverse("home"), {"q": "a\x00b"}).status_code == 400
    assert alice.get(reverse("inbox-thread", args=[conversation.pk]), {"q": "a\x00b"}).status_code == 400
    assert Conversation.objects.get().unread_count == 1  # refused before the thread was marked read


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"idempotency_key": "k\x00"}, "idempotencyKey must not contain null characters."),
        ({"media_urls": "https://media.example/a\x00b"}, "must be an http(s) URL."),
        ({"media_urls": "http://[x/a.png"}, "must be an http(s) URL."),
    ],
)
def test_the_composer_refuses_a_nul_or_a_broken_url_with_a_message(client, alice, fields, error):
    inbound(client, 1)
    conversation = Conversation.objects.get()
    response = alice.post(reverse("inbox-send", args=[conversation.pk]), {"body": "hi", **fields}, follow=True)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()


@pytest.mark.parametrize(
    "path", ["/c/{huge}/", "/c/{huge}/read/", "/contacts/{huge}/", "/media/{huge}/0/", "/media/1/{huge}/"]
)
def test_ids_no_row_can_have_are_a_404(client, alice, path):
    """Past 2**63-1 a foreign-key lookup overflows on SQLite (it was a 500): such a path matches no route."""
    assert alice.get(path.format(huge="9" * 23)).status_code == 404


def page_config(response) -> dict:
    """The page's ``#inbox-config`` (json_script), as the scripts read it."""
    found = re.search(r'<script id="inbox-config" type="application/json">(.*?)</script>', response.content.decode())
    assert found, "no #inbox-config"
    return json.loads(found.group(1))


def test_the_page_tells_its_scripts_every_rule_they_need(client, alice, org_a):
    inbound(client, 1)
    conversation = Conversation.objects.get()
    response = alice.get(reverse("inbox-thread", args=[conversation.pk]), {"filter": "open", "q": "hello"})
    config = page_config(response)
    assert (config["organization"], config["conversation"], config["user"]) == (
        org_a.organization.pk,
        conversation.pk,
        org_a.user.pk,
    )
    assert (config["filter"], config["q"], config["timeZone"]) == ("open", "hello", "UTC")
    assert {s["value"]: (s["rank"], s["label"]) for s in config["statuses"]} == {
        status: (STATUS_RANK[status], status.label) for status in MessageStatus
    }
    assert config["limits"] == {
        "body": MAX_BODY_CHARACTERS,
        "media": MAX_MEDIA,
        "note": NOTE_MAX_LENGTH,
        "attachmentBytes": attachment_rules.MAX_TOTAL_BYTES,
    }
    assert set(config["attachmentTypes"]) == attachment_rules.ACCEPTED_TYPES
    assert set(config["imageTypes"]) == attachment_rules.IMAGE_TYPES
    assert config["urls"]["attachments"] == reverse("attachment-upload", args=[conversation.pk])
    segments = config["segments"]
    assert (set(segments["gsm7Basic"]), set(segments["gsm7Extension"])) == (GSM7_BASIC, GSM7_EXTENSION)
    assert (segments["gsm7"], segments["ucs2"]) == ({"single": 160, "multi": 153}, {"single": 70, "multi": 67})
    assert sorted(config["events"].values()) == sorted(events.Event)
    assert config["live"]["signedOutCode"] == UNAUTHENTICATED
    assert config["live"]["reconnectMaxMs"] == 4000  # every inbox back and resynced within 5 s (make chaos)
    urls = config["urls"]
    assert urls["socket"] == f"/ws/inbox/?organization={org_a.organization.pk}"
    assert resolve(urls["sync"]).url_name == "inbox-sync"
    assert urls["thread"] == "/c/{id}/?filter=open&q=hello"
    assert resolve(urls["thread"].replace("{id}", "7").split("?")[0]).kwargs == {"conversation_id": 7}
    assert urls["notes"] == reverse("api-conversation-notes", args=[conversation.pk])
    assert [m["username"] for m in config["members"]] == [org_a.user.username]
    for name, route in (("markRead", "inbox-read"), ("older", "inbox-older"), ("send", "api-conversation-messages")):
        assert urls[name] == reverse(route, args=[conversation.pk])
    assert "data-ws-path" not in response.content.decode()  # no second copy of what the config says
    listed = page_config(alice.get(reverse("home")))
    assert listed["conversation"] is None
    assert "markRead" not in listed["urls"]


def test_rows_and_bubbles_the_page_clones_are_rendered_from_the_same_partials(client, alice):
    inbound(client, 1)
    conversation = Conversation.objects.get()
    page = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    row = page.split('<template id="conversation-row-template">')[1].split("</template>")[0]
    bubble = page.split('<template id="message-template">')[1].split("</template>")[0]
    assert '<li class="conversation unread failed"' in row
    for part in ("{contactName}", "{lastMessagePreview}", 'title="Assigned to {assigneeName}"', "{unreadCount} unread"):
        assert part in row
    for part in ('class="tag opted-out"', 'class="tag closed"', 'class="tag failed"', 'class="unread-badge"'):
        assert part in row
    assert '<time class="when"' in row
    assert 'class="row-actions"' in row
    assert '<li class="message out failed"' in bubble
    assert "data-retry" in bubble
    for part in (
        "{body}",
        "{sentByName}",
        'data-status="{status}"',
        "{statusLabel}",
        "Error {errorCode}: {errorMessage}",
    ):
        assert part in bubble
    for kind in ("image", "audio", "file"):  # one of each kind of media: the page clones the one it needs
        assert f'data-media-kind="{kind}"' in bubble
    assert '<template id="message-template">' not in alice.get(reverse("home")).content.decode()  # no thread open


def test_sync_answers_in_the_shapes_and_casing_of_the_live_events(client, alice):
    inbound(client, 1)
    conversation = Conversation.objects.select_related("contact", "assignee").get()
    data = alice.get(reverse("inbox-sync"), {"since": "2000-01-01T00:00:00", "conversation": conversation.pk}).json()
    # A live row, plus the Failed mark (live rows learn it from message events instead).
    assert data["conversations"] == [{**camelize(conversation_payload(conversation)), "lastOutboundFailed": False}]
    message = Message.objects.select_related("sent_by").get()
    assert data["messages"] == [camelize(message_payload(message))]


# --- issue 14: thread actions in place, mark unread, the Failed filter ---------------------------


def _thread(client):
    inbound(client, 1)
    return Conversation.objects.select_related("contact", "assignee").get()


def test_assign_and_status_answer_the_row_as_json_for_the_page_and_redirect_without_it(client, alice, org_a):
    conversation = _thread(client)
    json_accept = {"HTTP_ACCEPT": "application/json"}
    answer = alice.post(reverse("inbox-assign", args=[conversation.pk]), {"assignee": "me"}, **json_accept)
    assert answer.status_code == 200
    row = answer.json()["conversation"]
    assert (row["id"], row["assigneeId"], row["assigneeName"]) == (conversation.pk, org_a.user.pk, "alice")
    answer = alice.post(reverse("inbox-status", args=[conversation.pk]), {"status": "closed"}, **json_accept)
    assert answer.json()["conversation"]["status"] == "closed"
    assert answer.json()["conversation"]["version"] > row["version"]
    refused = alice.post(reverse("inbox-status", args=[conversation.pk]), {"status": "bogus"}, **json_accept)
    assert refused.status_code == 400
    assert "Status must be one of" in refused.json()["error"]
    refused = alice.post(reverse("inbox-assign", args=[conversation.pk]), {"assignee": "x"}, **json_accept)
    assert refused.status_code == 400
    assert refused.json() == {"error": "Choose a member."}
    plain = alice.post(reverse("inbox-status", args=[conversation.pk]), {"status": "open"})  # no JavaScript
    assert plain.status_code == 302
    assert plain["Location"] == reverse("inbox-thread", args=[conversation.pk])


def test_the_assignee_select_does_not_submit_itself_and_has_an_assign_button(client, alice):
    conversation = _thread(client)
    page = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    select = re.search(r'<select id="assignee"[^>]*>', page).group(0)
    assert "data-autosubmit" not in select
    assert re.search(r'id="assign-form".*?<button type="submit"[^>]*>Assign</button>', page, re.S)


def test_mark_unread_from_a_form_goes_back_to_the_list_and_the_page_gets_the_row(client, alice):
    conversation = _thread(client)
    alice.get(reverse("inbox-thread", args=[conversation.pk]))  # read
    assert Conversation.objects.get().unread_count == 0
    plain = alice.post(reverse("inbox-unread", args=[conversation.pk]), {"return_query": "filter=unread"})
    assert plain.status_code == 302
    assert plain["Location"] == reverse("home") + "?filter=unread"
    assert Conversation.objects.get().unread_count == 1
    Conversation.objects.update(unread_count=0)
    answer = alice.post(reverse("inbox-unread", args=[conversation.pk]), HTTP_ACCEPT="application/json")
    assert answer.json()["conversation"]["unreadCount"] == 1


def _send(org_a, conversation, body):
    from messaging.services.outbound import message_send

    return message_send(
        organization=org_a.organization, sender=org_a.user, contact=conversation.contact, body=body
    ).message


def _fail(message, status="failed", code=30008):
    Message.objects.filter(pk=message.pk).update(status=status, error_code=code)


def test_the_failed_filter_lists_threads_whose_last_sent_message_failed(client, alice, org_a):
    from messaging.selectors import conversation_list

    inbound(client, 3)
    first, second, third = Conversation.objects.order_by("pk")
    _fail(_send(org_a, first, "will fail"))
    _fail(_send(org_a, second, "undelivered"), status="undelivered", code=30003)
    post_inbound(client, to=TO, from_=str(second.contact.phone), body="still there?")  # an answer changes nothing
    _fail(_send(org_a, third, "failed, then sent again"))
    _send(org_a, third, "the new one")  # the last sent message is pending: not failed

    listed = conversation_list(user=org_a.user, organization=org_a.organization, failed=True)
    assert {c.pk for c in listed} == {first.pk, second.pk}
    everyone = {
        c.pk: c.last_outbound_failed for c in conversation_list(user=org_a.user, organization=org_a.organization)
    }
    assert everyone == {first.pk: True, second.pk: True, third.pk: False}

    page = alice.get(reverse("home"), {"filter": "failed"}).content.decode()
    assert '?filter=failed" aria-current="true"' in page
    rows = re.findall(r'<li class="conversation[^"]*" data-id="(\d+)"', page)
    assert sorted(int(r) for r in rows if r != "0") == sorted([first.pk, second.pk])  # "0": the <template>'s
    assert page.count('<span class="tag failed"') == 2 + 1
    everything = alice.get(reverse("home")).content.decode()
    assert len(re.findall(r'<li class="conversation[^"]*\bfailed\b" data-id="[1-9]', everything)) == 2


def test_the_failed_filter_costs_the_same_queries_for_more_threads(client, alice, org_a):
    inbound(client, 2)
    for conversation in Conversation.objects.all():
        _fail(_send(org_a, conversation, "x"))
    few = queries(alice, reverse("home") + "?filter=failed")
    inbound(client, 6, start=10)
    for conversation in Conversation.objects.all():
        _fail(_send(org_a, conversation, "y"))
    assert queries(alice, reverse("home") + "?filter=failed") == few


def test_a_failed_bubble_is_marked_and_offers_retry_only_when_a_new_send_may_succeed(client, alice, org_a):
    conversation = _thread(client)
    _fail(_send(org_a, conversation, "carrier hiccup"), code=30008)  # unknown carrier error: may pass next time
    _fail(_send(org_a, conversation, "no such number"), code=21211)  # never will
    page = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    bubbles = re.findall(r'<li class="message out failed".*?</li>', page, re.S)
    bubbles = [b for b in bubbles if "{body}" not in b]  # not the template
    assert len(bubbles) == 2
    hiccup, wrong = (next(b for b in bubbles if text in b) for text in ("carrier hiccup", "no such number"))
    assert "data-retry" in hiccup
    assert "data-retry" not in wrong
    payloads = {m.body: message_payload(m) for m in Message.objects.filter(direction="out")}
    assert payloads["carrier hiccup"]["retryable"] is True
    assert payloads["no such number"]["retryable"] is False


@pytest.mark.parametrize(
    ("active", "says"),
    [("mine", "No conversations assigned to you."), ("closed", "No closed conversations."),
     ("unread", "No unread conversations."), ("all", "No conversations yet.")],
)  # fmt: skip
def test_an_empty_list_says_what_its_filter_shows(client, org_a, active, says):
    client.force_login(org_a.user)
    page = client.get(reverse("home"), {"filter": active}).content.decode()
    assert says in page


def test_sync_marks_a_row_whose_sent_message_failed_while_the_socket_was_down(client, alice, org_a):
    """A failure updates the message, not the conversation: the resync still redraws that row, marked."""
    from django.utils import timezone

    from tests.twilio_posts import post_status

    inbound(client, 2)
    failing, quiet = Conversation.objects.order_by("pk")
    message = _send(org_a, failing, "will fail")
    _send(org_a, quiet, "will be delivered")
    message.refresh_from_db()
    since = timezone.now().isoformat()
    assert alice.get(reverse("inbox-sync"), {"since": since}).json()["conversations"] == []
    post_status(
        client,
        message_id=message.pk,
        sid=message.twilio_sid or "SM" + "0" * 32,
        status="undelivered",
        ErrorCode="30003",
        to=str(failing.contact.phone),
    )
    assert Message.objects.get(pk=message.pk).status == "undelivered"
    rows = alice.get(reverse("inbox-sync"), {"since": since}).json()["conversations"]
    assert [(r["id"], r["lastOutboundFailed"]) for r in rows] == [(failing.pk, True)]
    inbound(client, 1, start=2)  # a new conversation since then: listed, not failed
    rows = alice.get(reverse("inbox-sync"), {"since": since}).json()["conversations"]
    assert sorted((r["id"], r["lastOutboundFailed"]) for r in rows)[0] == (failing.pk, True)
    assert [r["lastOutboundFailed"] for r in rows if r["id"] != failing.pk] == [False]


def test_the_form_without_javascript_is_guarded_and_keeps_the_draft(client, alice, org_a):
    """A reply posted without JavaScript names the newest message its page showed; one that arrived since
    refuses it with the notice, the page keeps the draft and offers Send anyway, which then sends once."""
    inbound(client, 1)
    conversation = Conversation.objects.get()
    page = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    seen = re.search(r'name="last_seen_message_id" value="(\d+)"', page).group(1)
    assert int(seen) == Message.objects.get().pk
    key = re.search(r'name="idempotency_key" id="idempotency-key" value="(\w+)"', page).group(1)
    post_inbound(client, to=TO, from_=str(conversation.contact.phone), body="Actually, never mind!")
    form = {"body": "See you at 3 <then>", "last_seen_message_id": seen, "idempotency_key": key}
    answer = alice.post(reverse("inbox-send", args=[conversation.pk]), form, follow=True)
    assert not Message.objects.filter(direction="out").exists()
    page = answer.content.decode()
    assert "The contact wrote since you opened this conversation" in page
    assert ">See you at 3 &lt;then&gt;</textarea>" in page  # the draft, escaped, back in the composer
    assert 'name="confirm" value="1"' in page
    assert f'value="{key}"' in page  # the same message: a double submit still sends once
    again = {**form, "confirm": "1"}
    alice.post(reverse("inbox-send", args=[conversation.pk]), again)
    alice.post(reverse("inbox-send", args=[conversation.pk]), again)
    assert list(Message.objects.filter(direction="out").values_list("body", flat=True)) == ["See you at 3 <then>"]
    page = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    assert 'name="confirm"' not in page  # the draft was shown once
    assert "></textarea>" in page
