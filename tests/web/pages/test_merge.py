"""The contact page's "Merge into…" and "Erase…" confirmation pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conversations.models import Contact, ContactErasure, Conversation
from conversations.services import contact_create
from smsinbox.models import Membership, User
from smsinbox.services import membership_create
from tests.twilio_posts import post_inbound

pytestmark = pytest.mark.django_db

TO = "+14155550001"


@pytest.fixture
def people(client, org_a):
    keep = contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria", last_name="Lopez")
    merge = contact_create(organization=org_a.organization, phone="+14155550202", first_name="M.")
    post_inbound(client, to=TO, from_="+14155550101", body="mobile")
    post_inbound(client, to=TO, from_="+14155550202", body="work")
    client.force_login(org_a.user)
    return keep, merge


def test_the_contact_page_links_to_merge_and_erase(client, people):
    keep, _ = people
    page = client.get(reverse("contact-edit", args=[keep.pk])).content.decode()
    assert reverse("contact-merge", args=[keep.pk]) in page
    assert reverse("contact-erase", args=[keep.pk]) in page


def test_merge_search_then_confirmation_then_merge(client, people):
    keep, merge = people
    url = reverse("contact-merge", args=[merge.pk])
    found = client.get(url, {"q": "Maria"}).content.decode()
    assert f'href="?into={keep.pk}"' in found
    confirm = client.get(url, {"into": keep.pk}).content.decode()
    assert "into Maria Lopez" in confirm
    assert "1 message," in confirm or "1 message." in confirm
    assert "replies go to the number they last texted from" in confirm
    done = client.post(url, {"into": keep.pk})
    assert done.status_code == 302
    assert done["Location"] == reverse("contact-edit", args=[keep.pk])
    assert list(Contact.objects.all()) == [keep]
    assert Conversation.objects.get().messages.count() == 2
    page = client.get(done["Location"]).content.decode()
    assert "Also texts from: (415) 555-0202 (merged)" in page


def test_merge_refusals_are_a_400_with_the_reason(client, people):
    _, merge = people
    url = reverse("contact-merge", args=[merge.pk])
    assert client.post(url, {"into": merge.pk}).status_code == 400
    assert "cannot be merged into itself" in client.post(url, {"into": merge.pk}).content.decode()
    assert client.post(url, {"into": "x"}).status_code == 400
    assert Contact.objects.count() == 2


def test_erase_needs_the_number_or_the_word(client, people, org_a):
    keep, _ = people
    url = reverse("contact-erase", args=[keep.pk])
    page = client.get(url).content.decode()
    assert "This cannot be undone" in page
    wrong = client.post(url, {"confirm": "yes"})
    assert wrong.status_code == 400
    assert "Type the contact" in wrong.content.decode()
    assert Contact.objects.filter(pk=keep.pk).exists()
    done = client.post(url, {"confirm": "(415) 555-0101"})
    assert done.status_code == 302
    assert done["Location"] == reverse("contacts")
    assert not Contact.objects.filter(pk=keep.pk).exists()
    assert ContactErasure.objects.get().erased_by == org_a.user


def test_the_word_erase_confirms_too(client, people):
    _, merge = people
    assert client.post(reverse("contact-erase", args=[merge.pk]), {"confirm": " erase "}).status_code == 302
    assert not Contact.objects.filter(pk=merge.pk).exists()


def test_an_agent_is_told_only_admins_erase(client, people, org_a):
    keep, _ = people
    agent = User.objects.create_user("agent", password="pw-agent-1")
    membership_create(organization=org_a.organization, user=agent, role=Membership.Role.AGENT)
    client.force_login(agent)
    url = reverse("contact-erase", args=[keep.pk])
    assert "Only the organization's admins can erase" in client.get(url).content.decode()
    assert client.post(url, {"confirm": "ERASE"}).status_code == 403
    assert Contact.objects.filter(pk=keep.pk).exists()


def test_another_organizations_contact_is_not_found(client, people, org_b):
    theirs = contact_create(organization=org_b.organization, phone="+12125550199")
    for name in ("contact-merge", "contact-erase"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.post(reverse(name, args=[theirs.pk]), {"confirm": "ERASE"}).status_code == 404
    assert Contact.objects.filter(pk=theirs.pk).exists()
