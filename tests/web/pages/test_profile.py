"""The thread's contact panel: what it shows (number and country, labels, notes as text, opt-out history, first and
last contact in the viewer's zone), saving it through one service with a live update, refusals, isolation."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.labels import label_create
from conversations.models import Contact, Conversation
from smsinbox import events
from tests.twilio_posts import collect_live_events, post_inbound

TO = "+14155550001"


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


@pytest.fixture
def thread(client, org_a) -> Conversation:
    post_inbound(client, to=TO, from_="+447700900123", body="Hello from London")
    return Conversation.objects.select_related("contact").get()


def panel(page: str) -> str:
    return page[page.index('id="contact-panel"') : page.index("</details>", page.index('id="contact-panel"'))]


def test_the_panel_shows_the_person(alice, client, thread, org_a):
    label_create(organization=org_a.organization, name="VIP", color="purple")
    post_inbound(client, to=TO, from_="+447700900123", body="STOP")
    alice.cookies["tz"] = "Europe/London"
    html = panel(alice.get(reverse("inbox-thread", args=[thread.pk])).content.decode())
    assert "+44 7700 900123" in html
    assert "United Kingdom" in html
    assert 'name="first_name"' in html
    assert 'name="notes"' in html
    assert "VIP" in html
    assert '<span class="tag opted-out">Opted out</span>' in html
    assert "The customer opted out by replying STOP" in html
    assert f'datetime="{thread.created_at.isoformat()}"' in html
    assert reverse("inbox-contact", args=[thread.pk]) in html
    assert reverse("contact-edit", args=[thread.contact.pk]) in html  # the contact page, without the panel's form


def test_saving_the_panel_renames_notes_and_labels_and_every_inbox_hears_the_name(
    alice, thread, org_a, django_capture_on_commit_callbacks
):
    vip = label_create(organization=org_a.organization, name="VIP", color="purple")
    url = reverse("inbox-contact", args=[thread.pk])
    form = {"first_name": " Ada ", "last_name": "Lovelace", "notes": "<b>Prefers</b> mornings", "labels_shown": "1"}

    def save() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = alice.post(url, {**form, "label": [vip.pk]})
        assert response.status_code == 302
        assert response["Location"] == reverse("inbox-thread", args=[thread.pk]) + "#contact-panel"

    heard = collect_live_events(org_a.organization.pk, save, quiet=0.2)
    rows = [e["payload"] for e in heard if e["type"] == events.Event.CONVERSATION_UPDATED]
    assert [row["contactName"] for row in rows] == ["Ada Lovelace"]
    contact = Contact.objects.get(pk=thread.contact_id)
    assert (contact.first_name, contact.last_name, contact.notes) == ("Ada", "Lovelace", "<b>Prefers</b> mornings")
    assert list(contact.labels.values_list("name", flat=True)) == ["VIP"]
    page = alice.get(reverse("inbox-thread", args=[thread.pk])).content.decode()
    assert "&lt;b&gt;Prefers&lt;/b&gt; mornings</textarea>" in page  # text, never HTML
    assert '<h2 id="thread-title">Ada Lovelace</h2>' in page


def test_notes_too_long_are_refused_with_a_message_and_nothing_written(alice, thread):
    url = reverse("inbox-contact", args=[thread.pk])
    response = alice.post(url, {"first_name": "Ada", "notes": "x" * 2001}, follow=True)
    assert "at most 2000 characters" in response.content.decode()
    assert Contact.objects.get(pk=thread.contact_id).first_name == ""
    response = alice.post(url, {"first_name": "Ada", "label": ["abc"], "labels_shown": "1"}, follow=True)
    assert "Choose labels of this organization." in response.content.decode()


def test_another_organizations_panel_is_404_and_writes_nothing(client, thread, org_b):
    client.force_login(org_b.user)
    response = client.post(reverse("inbox-contact", args=[thread.pk]), {"first_name": "Mallory"})
    assert response.status_code == 404
    assert Contact.objects.get(pk=thread.contact_id).first_name == ""


def test_the_panel_costs_the_same_queries_however_many_labels(alice, thread, org_a):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice.get(reverse("inbox-thread", args=[thread.pk])).status_code == 200
        return len(queries)

    label_create(organization=org_a.organization, name="L0")
    count()
    few = count()
    for i in range(1, 12):
        label_create(organization=org_a.organization, name=f"L{i}")
    assert count() == few


def test_a_colleagues_change_since_the_panel_opened_is_not_overwritten(alice, thread, org_a):
    """Bob renamed the contact after alice's panel showed the old name: her stale save is refused, nothing written;
    a field nobody else touched saves as before, and a save that agrees with the colleague's change goes through."""
    from conversations.services import contact_update

    url = reverse("inbox-contact", args=[thread.pk])
    page = panel(alice.get(reverse("inbox-thread", args=[thread.pk])).content.decode())
    assert 'name="seen_first_name" value=""' in page
    contact_update(contact=thread.contact, first_name="Robert")  # bob, in another browser
    stale = {"first_name": "Bob", "last_name": "", "notes": "Call after 5", "labels_shown": "1",
             "seen_first_name": "", "seen_last_name": "", "seen_notes": ""}  # fmt: skip
    followed = alice.post(url, stale, follow=True).content.decode()
    assert "Someone else changed this contact&#x27;s first name while you were editing; nothing was saved." in followed
    contact = Contact.objects.get(pk=thread.contact.pk)
    assert (contact.first_name, contact.notes) == ("Robert", "")
    agreeing = {**stale, "first_name": "Robert"}  # she keeps his name and adds notes: nothing of his is lost
    assert "Contact saved." in alice.post(url, agreeing, follow=True).content.decode()
    contact.refresh_from_db()
    assert (contact.first_name, contact.notes) == ("Robert", "Call after 5")
