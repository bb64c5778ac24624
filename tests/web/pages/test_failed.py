"""The Failed page: counts per code, rows with meaning and advice, retry many (without JavaScript), constant queries."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from messaging.models import Message
from tests.messaging.services.test_retry import MEDIA, failed_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_page_counts_per_code_and_explains_each_row(alice, org_a, org_b):
    failed_send(org_a, code=30003, body="first")
    failed_send(org_a, "+14155550102", code=30003, body="second", status="undelivered")
    failed_send(org_a, "+14155550103", code=21610, body="third")
    failed_send(org_b, "+14155550101", code=30007, body="another organization's")
    page = alice.get(reverse("failed")).content.decode()
    counts = re.findall(r'href="\?code=(\d+)"[^>]*>\d+ <span class="count">(\d+)</span>', page)
    assert counts == [("30003", "2"), ("21610", "1")]
    assert 'All codes <span class="count">3</span>' in page
    assert page.count('name="message_ids"') == 3
    assert "another organization" not in page
    assert "30007" not in page
    assert "Retry later; the phone may be switched off" in page  # 30003's advice
    assert "reply START to opt back in" in page  # 21610's
    assert page.count("Not retryable") == 1
    only = alice.get(reverse("failed") + "?code=21610").content.decode()
    assert only.count('name="message_ids"') == 1
    assert "third" in only


def test_the_page_costs_the_same_queries_for_more_rows(alice, org_a):
    for i in range(2):
        failed_send(org_a, f"+1415555020{i}", code=30003)
    few = queries(alice, reverse("failed"))
    for i in range(2, 9):
        failed_send(org_a, f"+1415555020{i}", code=30005 + i % 3, media=MEDIA[:1])
    assert queries(alice, reverse("failed")) == few
    assert queries(alice, reverse("failed") + "?code=30003") == few


def test_older_rows_are_a_link_away(alice, org_a, monkeypatch):
    monkeypatch.setattr("smsinbox.web.pages.failed.PAGE_SIZE", 2)
    sent = [failed_send(org_a, f"+1415555030{i}", code=30003, body=f"row {i}") for i in range(3)]
    page = alice.get(reverse("failed")).content.decode()
    assert "row 2" in page
    assert "row 1" in page
    assert "row 0" not in page
    older = re.search(r'href="(\?cursor=[^"]+)">Older failed messages', page)[1].replace("&amp;", "&")
    rest = alice.get(reverse("failed") + older).content.decode()
    assert "row 0" in rest
    assert "row 2" not in rest
    assert len(sent) == 3


def test_retry_selected_without_javascript_resends_and_lists_what_it_skipped(alice, org_a):
    passing = failed_send(org_a, code=30008, media=MEDIA)
    stopped = failed_send(org_a, "+14155550102", code=21610)
    answer = alice.post(
        reverse("failed-retry"), {"message_ids": [passing.pk, stopped.pk], "next": "/failed/?code=30008"}
    )
    assert (answer.status_code, answer["Location"]) == (302, "/failed/?code=30008")
    said = [str(m) for m in get_messages(answer.wsgi_request)]
    assert said[0] == "Retried 1 message."
    assert said[1].startswith(f"Message #{stopped.pk} (error 21610) skipped: Not retried")
    new = Message.objects.get(retry_of=passing)
    assert [m.url for m in new.media.all()] == MEDIA
    assert not Message.objects.filter(retry_of=stopped).exists()


def test_retry_goes_back_only_to_our_own_pages(alice, org_a):
    answer = alice.post(reverse("failed-retry"), {"message_ids": ["1"], "next": "https://evil.example/"})
    assert answer["Location"] == reverse("failed")
    answer = alice.post(reverse("failed-retry"), {"message_ids": ["x"]})
    assert answer.status_code == 302
    assert "Choose messages" in str(list(get_messages(answer.wsgi_request))[-1])


def test_the_bubbles_retry_is_a_form_answered_as_json_for_the_page(alice, org_a):
    original = failed_send(org_a, code=30003, media=MEDIA)
    thread = alice.get(reverse("inbox-thread", args=[original.conversation_id])).content.decode()
    form = re.search(
        rf'<form method="post" action="/failed/retry/"[^>]*data-retry-form>.*?value="{original.pk}".*?</form>',
        thread,
        re.S,
    )
    assert form
    assert 'type="submit"' in form[0]
    assert "hidden>" not in form[0]
    answer = alice.post(reverse("failed-retry"), {"message_ids": [original.pk]}, HTTP_ACCEPT="application/json")
    new = Message.objects.get(retry_of=original)
    assert answer.json() == {"retried": [{"id": original.pk, "newId": new.pk}], "skipped": []}
    again = alice.post(reverse("failed-retry"), {"message_ids": [original.pk]}, HTTP_ACCEPT="application/json")
    assert again.json()["skipped"][0]["message"] == "Already retried."
    assert [m.url for m in new.media.all()] == MEDIA


def test_another_organizations_message_is_not_found_here(alice, org_b):
    theirs = failed_send(org_b, "+14155550101", code=30003)
    answer = alice.post(reverse("failed-retry"), {"message_ids": [theirs.pk]}, HTTP_ACCEPT="application/json")
    assert answer.json()["skipped"] == [
        {"id": theirs.pk, "reason": "not_found", "code": None, "message": "No such message."}
    ]
    assert not Message.objects.filter(retry_of=theirs).exists()
