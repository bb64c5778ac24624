"""Django admin writes only through the services: their refusals are form errors, their live events are published."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conversations.models import Contact
from conversations.services import contact_get_or_create
from messaging.models import Message
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization, PhoneNumber, User
from smsinbox.web.admin import conversations as conversations_admin
from smsinbox.web.admin import tenancy as tenancy_admin
from tests.twilio_posts import collect_live_events


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def form_data(client, url: str, **changes) -> dict:
    """What the change page posts back untouched (its inlines' management forms included), with ``changes``."""
    response = client.get(url)
    assert response.status_code == 200, url
    form = response.context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    return data | changes


def spy_on(monkeypatch, module, name: str) -> list:
    """Record every call of ``module.name``, rows by their id (still calling it)."""
    calls = []
    real = getattr(module, name)

    def spy(**kwargs):
        calls.append({name: getattr(value, "pk", value) for name, value in kwargs.items()})
        return real(**kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


# --- Contacts --------------------------------------------------------------------------------


def test_renumbering_a_contact_with_a_conversation_is_refused_with_the_services_message(client, conversation_a):
    client.force_login(Membership.objects.get(organization=conversation_a.organization).user)
    contact = conversation_a.contact
    url = change_url(contact)
    response = client.post(url, form_data(client, url, phone="(415) 555-0177", first_name="Maria"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["phone"] == [
        "This contact already has a conversation on their number; create a new contact for the new number."
    ]
    contact.refresh_from_db()
    assert (str(contact.phone), contact.first_name) == ("+14155550101", "")  # nothing of the edit is kept


def test_a_contact_added_in_admin_is_created_by_the_service(client, org_a, monkeypatch):
    calls = spy_on(monkeypatch, conversations_admin, "contact_create")
    client.force_login(org_a.user)
    data = {"organization": org_a.organization.pk, "phone": "(415) 555-0101", "first_name": " Maria ", "last_name": ""}
    response = client.post(reverse("admin:conversations_contact_add"), data)
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (str(contact.phone), contact.first_name) == ("+14155550101", "Maria")  # the service strips names
    assert len(calls) == 1
    again = client.post(reverse("admin:conversations_contact_add"), data)
    assert f"(415) 555-0101 is already saved as Maria (contact #{contact.pk})." in again.content.decode()
    assert Contact.objects.count() == 1


def test_a_bulk_delete_goes_through_the_service(client, org_a, org_b, monkeypatch):
    calls = spy_on(monkeypatch, conversations_admin, "contact_delete")
    client.force_login(org_a.user)
    mine = [contact_get_or_create(organization=org_a.organization, e164=f"+1415555010{i}")[0] for i in range(3)]
    theirs, _ = contact_get_or_create(organization=org_b.organization, e164="+14155550101")
    selected = [mine[0].pk, mine[1].pk, theirs.pk]  # another tenant's id is not even selectable
    response = client.post(
        reverse("admin:conversations_contact_changelist"),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )
    assert response.status_code == 302
    assert sorted(call["contact"] for call in calls) == sorted(selected[:2])
    assert set(Contact.objects.values_list("pk", flat=True)) == {mine[2].pk, theirs.pk}


def test_a_refused_bulk_delete_deletes_nothing_and_says_why(client, org_a, monkeypatch):
    client.force_login(org_a.user)
    contacts = [contact_get_or_create(organization=org_a.organization, e164=f"+1415555010{i}")[0] for i in range(2)]
    real = conversations_admin.contact_delete
    seen = []

    def delete_then_refuse(**kwargs):
        seen.append(kwargs["contact"].pk)
        if len(seen) == 2:
            raise ServiceError("Not today.")
        real(**kwargs)

    monkeypatch.setattr(conversations_admin, "contact_delete", delete_then_refuse)
    response = client.post(
        reverse("admin:conversations_contact_changelist"),
        {"action": "delete_selected", "_selected_action": [c.pk for c in contacts], "post": "yes"},
        follow=True,
    )
    assert "Not today." in response.content.decode()
    assert Contact.objects.count() == 2  # all or nothing


# --- Conversations ---------------------------------------------------------------------------


@pytest.fixture
def heard(django_capture_on_commit_callbacks):
    """Run a request, commit it, and return the live events the organization's inboxes heard."""

    def run(organization_id: int, request):
        responses = []

        def committed() -> None:
            with django_capture_on_commit_callbacks(execute=True):
                responses.append(request())

        events = collect_live_events(organization_id, committed, quiet=0.2)
        return responses[0], events

    return run


@pytest.mark.parametrize(
    "changes",
    [{"status": "closed"}, {"assignee": "me"}, {"status": "closed", "assignee": "me"}],
    ids=["status", "assignee", "both"],
)
def test_a_conversation_changed_in_admin_is_announced_once(client, org_a, conversation_a, heard, changes):
    client.force_login(org_a.user)
    url = change_url(conversation_a)
    if changes.get("assignee") == "me":
        changes = {**changes, "assignee": org_a.user.pk}
    data = form_data(client, url, **changes)
    response, heard_all = heard(org_a.organization.pk, lambda: client.post(url, data))
    assert response.status_code == 302
    activity = [e["payload"]["event"] for e in heard_all if e["type"] == "activity.created"]  # the stored log's rows
    assert sorted(activity) == sorted({"status": "closed", "assignee": "assigned"}[k] for k in changes)
    events = [e for e in heard_all if e["type"] != "activity.created"]
    assert len(events) == 1, events
    payload = events[0]["payload"]
    conversation_a.refresh_from_db()
    assert payload["id"] == conversation_a.pk
    assert (payload["status"], payload["assigneeId"]) == (conversation_a.status, conversation_a.assignee_id)
    assert (conversation_a.status, conversation_a.assignee_id) == (
        changes.get("status", "open"),
        changes.get("assignee"),
    )


def test_saving_a_conversation_unchanged_announces_nothing(client, org_a, conversation_a, heard):
    client.force_login(org_a.user)
    url = change_url(conversation_a)
    response, events = heard(org_a.organization.pk, lambda: client.post(url, form_data(client, url)))
    assert response.status_code == 302
    assert events == []


def test_an_assignee_the_service_refuses_is_a_form_error_on_that_field(client, org_a, org_b, conversation_a):
    """A superuser's dropdown lists every user: the service refuses one of another organization."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root-1"))
    url = change_url(conversation_a)
    response = client.post(url, form_data(client, url, assignee=org_b.user.pk, status="closed"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["assignee"] == [
        "The assignee must be an active member of this organization."
    ]
    conversation_a.refresh_from_db()
    assert (conversation_a.status, conversation_a.assignee_id) == ("open", None)  # all or nothing


def test_conversations_are_not_added_in_admin(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root-1"))
    assert client.get(reverse("admin:conversations_conversation_add")).status_code == 403


# --- Messages, tenancy -----------------------------------------------------------------------


def test_messages_are_read_only_even_for_superusers(client, conversation_a):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root-1"))
    message = Message.objects.create(
        organization=conversation_a.organization,
        conversation=conversation_a,
        direction="in",
        from_number="+14155550101",
        to_number="+14155550001",
        body="hello",
        status="received",
        twilio_sid="SM" + "0" * 32,
    )
    assert client.get(reverse("admin:messaging_message_delete", args=[message.pk])).status_code == 403
    assert client.post(change_url(message), {"body": "edited"}).status_code == 403
    message.refresh_from_db()
    assert message.body == "hello"


def test_a_number_added_in_admin_is_created_by_the_service(client, org_a, monkeypatch):
    calls = spy_on(monkeypatch, tenancy_admin, "phone_number_create")
    client.force_login(org_a.user)
    data = {"organization": org_a.organization.pk, "number": "(415) 555-0002", "messages_per_second": "1"}
    response = client.post(reverse("admin:smsinbox_phonenumber_add"), data)
    assert response.status_code == 302
    assert len(calls) == 1
    assert PhoneNumber.objects.filter(organization=org_a.organization, number="+14155550002").exists()


def test_a_number_in_use_is_not_deleted(client, conversation_a):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root-1"))
    number = conversation_a.phone_number
    response = client.post(reverse("admin:smsinbox_phonenumber_delete", args=[number.pk]), {"post": "yes"})
    assert response.status_code == 200  # Django's page naming what still uses it
    assert PhoneNumber.objects.filter(pk=number.pk).exists()


def test_members_are_added_and_changed_by_the_services(client, org_a, monkeypatch):
    """(Organization admins choose among their organizations' users; a superuser among all.)"""
    created = spy_on(monkeypatch, tenancy_admin, "membership_create")
    updated = spy_on(monkeypatch, tenancy_admin, "membership_update")
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root-1"))
    dan = User.objects.create_user("dan", password="pw-dan-1")
    add = {"organization": org_a.organization.pk, "user": dan.pk, "role": "agent"}
    assert client.post(reverse("admin:smsinbox_membership_add"), add).status_code == 302
    membership = Membership.objects.get(user=dan)
    url = change_url(membership)
    assert client.post(url, form_data(client, url, role="admin")).status_code == 302
    membership.refresh_from_db()
    assert membership.role == "admin"
    assert (len(created), len(updated)) == (1, 1)


def test_an_organization_is_renamed_by_the_service(client, org_a, monkeypatch):
    calls = spy_on(monkeypatch, tenancy_admin, "organization_update")
    client.force_login(org_a.user)
    url = change_url(org_a.organization)
    assert client.post(url, form_data(client, url, name="  Acme Dental & Co ")).status_code == 302
    assert Organization.objects.get(pk=org_a.organization.pk).name == "Acme Dental & Co"
    assert len(calls) == 1


def test_a_rule_of_the_model_is_checked_by_the_service_and_shown_on_its_field(client, org_a, org_b):
    sid = "MG" + "1" * 32
    PhoneNumber.objects.filter(organization=org_b.organization).update(messaging_service_sid=sid)
    client.force_login(org_a.user)
    data = {"organization": org_a.organization.pk, "number": "+14155550002", "messaging_service_sid": sid}
    response = client.post(reverse("admin:smsinbox_phonenumber_add"), data | {"messages_per_second": "1"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["messaging_service_sid"] == [
        "This Messaging Service belongs to another organization."
    ]
    assert not PhoneNumber.objects.filter(number="+14155550002").exists()


def test_a_conversation_moves_to_another_number_of_its_organization_only(client, org_a, org_b, conversation_a, heard):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root-1"))
    url = change_url(conversation_a)
    foreign = org_b.organization.phone_numbers.get()
    refused = client.post(url, form_data(client, url, phone_number=foreign.pk))
    assert refused.context["adminform"].form.errors["phone_number"] == [
        "The number must be one of the conversation's organization."
    ]
    second = PhoneNumber.objects.create(organization=org_a.organization, number="+14155550002")
    response, events = heard(
        org_a.organization.pk, lambda: client.post(url, form_data(client, url, phone_number=second.pk))
    )
    assert response.status_code == 302
    assert [event["payload"]["id"] for event in events] == [conversation_a.pk]
    conversation_a.refresh_from_db()
    assert conversation_a.phone_number_id == second.pk
