"""Labels and saved views in the pages: management, thread and contact labelling, the list's bulk action and filter,
saved views with counts, and the inbox's query count as labels grow."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations.labels import conversations_label, label_create, saved_view_create
from conversations.models import Contact, Conversation, Label, SavedView
from tests.twilio_posts import post_inbound

TO = "+14155550001"


def listed(page: str) -> set[int]:
    """The conversations the page's list shows (the row template's id is 0)."""
    return {int(pk) for pk in re.findall(r'<li class="conversation[^"]*" data-id="(\d+)"', page)} - {0}


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


@pytest.fixture
def threads(client, org_a) -> list[Conversation]:
    for i in range(3):
        post_inbound(client, to=TO, from_=f"+1415556000{i}", body=f"Hello {i}")
    return list(Conversation.objects.order_by("pk"))


def test_managing_labels(alice, org_a):
    assert alice.get(reverse("labels")).status_code == 200
    alice.post(reverse("labels"), {"action": "create", "name": "VIP", "color": "purple"})
    label = Label.objects.get()
    assert (label.name, label.color) == ("VIP", "purple")
    alice.post(reverse("labels"), {"action": "update", "label": label.pk, "name": "Gold", "color": "red"})
    assert Label.objects.values_list("name", "color").get() == ("Gold", "red")
    page = alice.post(reverse("labels"), {"action": "create", "name": "gold"}, follow=True).content.decode()
    assert "already exists" in page
    alice.post(reverse("labels"), {"action": "delete", "label": label.pk})
    assert not Label.objects.exists()
    css = alice.get(reverse("labels-palette"))
    assert css["Content-Type"].startswith("text/css")
    assert b'.label-chip[data-color="purple"]' in css.content


def test_bulk_labelling_from_the_list_and_filtering(alice, threads, org_a, org_b):
    vip = label_create(organization=org_a.organization, name="VIP")
    one, two, three = threads
    answer = alice.post(
        reverse("labels-apply"),
        {"conversation": [one.pk, two.pk], "label": vip.pk, "action": "add"},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 200
    assert {row["id"] for row in answer.json()["conversations"]} == {one.pk, two.pk}
    assert all(row["labels"][0]["name"] == "VIP" for row in answer.json()["conversations"])
    page = alice.get(reverse("home") + f"?label={vip.pk}").content.decode()
    assert listed(page) == {one.pk, two.pk}
    assert "Hello 2" not in page
    theirs = label_create(organization=org_b.organization, name="Theirs")
    refused = alice.post(
        reverse("labels-apply"),
        {"conversation": [three.pk], "label": theirs.pk, "action": "add"},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 400
    assert not three.labels.exists()


def test_thread_and_contact_labels(alice, threads, org_a):
    vip = label_create(organization=org_a.organization, name="VIP")
    conversation = threads[0]
    alice.post(reverse("inbox-labels", args=[conversation.pk]), {"label": [vip.pk]})
    assert list(conversation.labels.all()) == [vip]
    page = alice.get(reverse("inbox-thread", args=[conversation.pk])).content.decode()
    assert 'id="thread-labels"' in page
    assert f'data-label-id="{vip.pk}"' in page
    contact = conversation.contact
    alice.post(reverse("contact-labels", args=[contact.pk]), {"label": [vip.pk]})
    assert list(Contact.objects.get(pk=contact.pk).labels.all()) == [vip]
    assert "Save labels" in alice.get(reverse("contact-edit", args=[contact.pk])).content.decode()


def test_saving_a_view_and_its_count(alice, threads, org_a):
    vip = label_create(organization=org_a.organization, name="VIP")
    conversations_label(organization=org_a.organization, conversation_ids=[threads[0].pk], add=[vip.pk])
    answer = alice.post(reverse("views-create"), {"name": "Open VIPs", "filter": "open", "label": vip.pk})
    view = SavedView.objects.get()
    assert (view.status, view.label_id, view.owner_id) == ("open", vip.pk, org_a.user.pk)
    assert answer.url.endswith(f"?view={view.pk}")
    page = alice.get(answer.url).content.decode()
    assert listed(page) == {threads[0].pk}
    assert f'data-view-count="{view.pk}" aria-label="1 conversations">1<' in page
    assert alice.get(reverse("views-counts")).json() == {"counts": {str(view.pk): 1}}
    alice.post(reverse("views-delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_the_inbox_query_count_stays_constant_as_labels_grow(alice, threads, org_a):
    saved_view_create(organization=org_a.organization, owner=org_a.user, name="Open", status="open")
    url = reverse("inbox-thread", args=[threads[0].pk])

    def count() -> int:
        alice.get(url)  # reads the thread first: later counts are steady
        with CaptureQueriesContext(connection) as queries:
            assert alice.get(url).status_code == 200
        return len(queries)

    few = count()
    for i in range(10):
        label = label_create(organization=org_a.organization, name=f"L{i}", color="green")
        conversations_label(organization=org_a.organization, conversation_ids=[c.pk for c in threads], add=[label.pk])
    assert count() == few
