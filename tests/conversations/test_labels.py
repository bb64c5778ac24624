"""Labels and saved views: the database's rules, the services, the list's filter and counts, live events."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conversations.labels import (
    conversations_label,
    label_create,
    label_delete,
    label_update,
    saved_view_create,
    saved_view_delete,
    saved_view_update,
)
from conversations.models import ContactLabel, Conversation, ConversationLabel, Label, SavedView
from conversations.services import (
    contact_get_or_create,
    contact_update,
    conversation_get_or_create,
    conversation_touch,
    conversation_update,
)
from messaging.selectors import conversation_list, saved_view_counts, with_messages
from smsinbox import events
from smsinbox.errors import ServiceError
from tests.db_errors import refused_by
from tests.twilio_posts import collect_live_events


def thread(org, phone: str, *, preview: str = "Hi") -> Conversation:
    contact, _ = contact_get_or_create(organization=org.organization, e164=phone)
    conversation, _ = conversation_get_or_create(
        organization=org.organization, contact=contact, phone_number=org.organization.phone_numbers.get()
    )
    conversation_touch(conversation=conversation, preview=preview, unread_increment=1)
    return conversation


# --- the database's rules ------------------------------------------------------------------------


def test_a_label_name_is_unique_in_its_organization_whatever_its_case(org_a, org_b):
    Label.objects.create(organization=org_a.organization, name="VIP")
    with refused_by("label_unique_org_name"), transaction.atomic():
        Label.objects.create(organization=org_a.organization, name="vip")
    Label.objects.create(organization=org_b.organization, name="vip")  # another organization may


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"name": "  "}, "label_name_not_blank"),
        ({"name": "x", "color": "#ff0000"}, "label_color_in_palette"),
        ({"name": "x", "color": ""}, "label_color_in_palette"),
    ],
)
def test_a_label_has_a_name_and_a_colour_of_the_palette(org_a, fields, rule):
    with refused_by(rule), transaction.atomic():
        Label.objects.create(organization=org_a.organization, **fields)


def test_labels_attach_only_within_their_organization(conversation_a, org_a, org_b):
    theirs = Label.objects.create(organization=org_b.organization, name="Theirs")
    ours = Label.objects.create(organization=org_a.organization, name="Ours")
    with refused_by("conversation_label_same_organization"), transaction.atomic():
        ConversationLabel.objects.create(conversation=conversation_a, label=theirs)
    with refused_by("contact_label_same_organization"), transaction.atomic():
        ContactLabel.objects.create(contact=conversation_a.contact, label=theirs)
    ConversationLabel.objects.create(conversation=conversation_a, label=ours)
    ContactLabel.objects.create(contact=conversation_a.contact, label=ours)
    with refused_by("label_organization_fixed"), transaction.atomic():
        Label.objects.filter(pk=ours.pk).update(organization=org_b.organization)


def test_a_saved_views_label_and_owner_belong_to_its_organization(org_a, org_b):
    theirs = Label.objects.create(organization=org_b.organization, name="Theirs")
    with refused_by("saved_view_same_organization"), transaction.atomic():
        SavedView.objects.create(organization=org_a.organization, owner=org_a.user, name="x", label=theirs)
    with refused_by("saved_view_owner_member"), transaction.atomic():
        SavedView.objects.create(organization=org_a.organization, owner=org_b.user, name="x")
    with refused_by("saved_view_status_valid"), transaction.atomic():
        SavedView.objects.create(organization=org_a.organization, owner=org_a.user, name="x", status="snoozed")


# --- services ------------------------------------------------------------------------------------


def test_label_create_refuses_a_duplicate_name_and_a_colour_outside_the_palette(org_a):
    label = label_create(organization=org_a.organization, name="  Call   back ", color="teal")
    assert (label.name, label.color) == ("Call back", "teal")
    with pytest.raises(ServiceError, match="already exists") as refused:
        label_create(organization=org_a.organization, name="CALL BACK")
    assert refused.value.code == "duplicate"
    with pytest.raises(ServiceError, match="Colour"):
        label_create(organization=org_a.organization, name="Other", color="chartreuse")
    with pytest.raises(ServiceError, match="name"):
        label_create(organization=org_a.organization, name="   ")
    assert Label.objects.filter(organization=org_a.organization).count() == 1


def test_label_update_renames_and_recolours_and_refuses_a_taken_name(org_a):
    vip = label_create(organization=org_a.organization, name="VIP")
    label_create(organization=org_a.organization, name="Late")
    label_update(label=vip, name="Gold", color="yellow")
    assert Label.objects.values_list("name", "color").get(pk=vip.pk) == ("Gold", "yellow")
    with pytest.raises(ServiceError, match="already exists"):
        label_update(label=vip, name="late")
    assert Label.objects.get(pk=vip.pk).name == "Gold"


def test_conversation_update_sets_exactly_the_labels_and_refuses_another_organizations(conversation_a, org_a, org_b):
    vip = label_create(organization=org_a.organization, name="VIP")
    late = label_create(organization=org_a.organization, name="Late")
    theirs = label_create(organization=org_b.organization, name="Theirs")
    version = Conversation.objects.get(pk=conversation_a.pk).version
    conversation_update(conversation=conversation_a, label_ids=[vip.pk, late.pk])
    assert set(conversation_a.labels.values_list("pk", flat=True)) == {vip.pk, late.pk}
    assert Conversation.objects.get(pk=conversation_a.pk).version > version  # ordered like every other change
    for wrong in ([theirs.pk], [vip.pk, 999_999], ["1"], [True]):
        with pytest.raises(ServiceError) as refused:
            conversation_update(conversation=conversation_a, label_ids=wrong, status="closed")
        assert refused.value.field == "labels"
    assert Conversation.objects.get(pk=conversation_a.pk).status == "open"  # nothing half-written
    conversation_update(conversation=conversation_a, label_ids=[late.pk])
    assert list(conversation_a.labels.values_list("pk", flat=True)) == [late.pk]


def test_contact_update_sets_the_contacts_labels(conversation_a, org_a, org_b):
    vip = label_create(organization=org_a.organization, name="VIP")
    contact_update(contact=conversation_a.contact, label_ids=[vip.pk])
    assert list(conversation_a.contact.labels.all()) == [vip]
    with pytest.raises(ServiceError, match="Unknown label"):
        contact_update(
            contact=conversation_a.contact, label_ids=[label_create(organization=org_b.organization, name="X").pk]
        )
    contact_update(contact=conversation_a.contact, label_ids=[])
    assert not conversation_a.contact.labels.exists()


def test_conversations_label_adds_and_removes_on_several_at_once_all_or_nothing(org_a, org_b):
    one, two = thread(org_a, "+14155550111"), thread(org_a, "+14155550112")
    foreign = thread(org_b, "+14155550113")
    vip = label_create(organization=org_a.organization, name="VIP")
    conversations_label(organization=org_a.organization, conversation_ids=[one.pk, two.pk], add=[vip.pk])
    assert ConversationLabel.objects.filter(label=vip).count() == 2
    conversations_label(organization=org_a.organization, conversation_ids=[one.pk, two.pk], add=[vip.pk])  # idempotent
    assert ConversationLabel.objects.filter(label=vip).count() == 2
    with pytest.raises(ServiceError):
        conversations_label(organization=org_a.organization, conversation_ids=[one.pk, foreign.pk], remove=[vip.pk])
    assert ConversationLabel.objects.filter(label=vip).count() == 2
    conversations_label(organization=org_a.organization, conversation_ids=[one.pk], remove=[vip.pk])
    assert list(ConversationLabel.objects.filter(label=vip).values_list("conversation_id", flat=True)) == [two.pk]


def test_deleting_a_label_leaves_its_conversations_and_views(conversation_a, org_a):
    vip = label_create(organization=org_a.organization, name="VIP")
    conversation_update(conversation=conversation_a, label_ids=[vip.pk])
    saved_view_create(organization=org_a.organization, owner=org_a.user, name="VIPs", label_id=vip.pk)
    label_delete(label=vip)
    assert Conversation.objects.filter(pk=conversation_a.pk).exists()
    assert not ConversationLabel.objects.exists()
    assert not SavedView.objects.exists()


def test_saved_views_are_checked_and_deleted_by_their_owner_only(org_a, org_b):
    from tests.conversations.test_notes import member

    theirs = label_create(organization=org_b.organization, name="Theirs")
    with pytest.raises(ServiceError, match="Unknown label"):
        saved_view_create(organization=org_a.organization, owner=org_a.user, name="x", label_id=theirs.pk)
    with pytest.raises(ServiceError):
        saved_view_create(organization=org_a.organization, owner=org_a.user, name="x", status="pending")
    view = saved_view_create(organization=org_a.organization, owner=org_a.user, name="Open", status="open", shared=True)
    with pytest.raises(ServiceError, match="already have"):
        saved_view_create(organization=org_a.organization, owner=org_a.user, name="OPEN")
    colleague = member(org_a, "colleague")
    with pytest.raises(ServiceError) as refused:
        saved_view_delete(view=view, user=colleague)
    assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError) as refused:
        saved_view_update(view=view, user=colleague, shared=False)
    assert refused.value.code == "forbidden"
    assert saved_view_update(view=view, user=org_a.user, name="Open now").name == "Open now"
    saved_view_delete(view=view, user=org_a.user)
    assert not SavedView.objects.exists()


# --- selectors -----------------------------------------------------------------------------------


def test_the_list_filters_by_label_and_another_organizations_label_finds_nothing(org_a, org_b):
    one, two = thread(org_a, "+14155550121"), thread(org_a, "+14155550122")
    vip = label_create(organization=org_a.organization, name="VIP")
    theirs = label_create(organization=org_b.organization, name="VIP")
    conversations_label(organization=org_a.organization, conversation_ids=[two.pk], add=[vip.pk])
    listed = conversation_list(user=org_a.user, organization=org_a.organization, label=vip.pk)
    assert [c.pk for c in listed] == [two.pk]
    assert [label.name for label in listed[0].labels.all()] == ["VIP"]
    assert not conversation_list(user=org_a.user, organization=org_a.organization, label=theirs.pk).exists()
    assert one.pk in {c.pk for c in conversation_list(user=org_a.user, organization=org_a.organization)}


def test_the_lists_query_count_stays_constant_as_labels_grow(org_a):
    conversations = [thread(org_a, f"+141555502{i:02d}") for i in range(5)]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            rows = list(conversation_list(user=org_a.user, organization=org_a.organization))
            for row in rows:
                list(row.labels.all())
        return len(queries)

    few = count()
    for i in range(12):
        label = label_create(organization=org_a.organization, name=f"L{i}", color="blue")
        conversations_label(
            organization=org_a.organization, conversation_ids=[c.pk for c in conversations], add=[label.pk]
        )
    assert count() == few == 2  # the page, its labels


def test_saved_view_counts_take_one_query_per_view(org_a):
    one, two = thread(org_a, "+14155550131"), thread(org_a, "+14155550132")
    vip = label_create(organization=org_a.organization, name="VIP")
    conversations_label(organization=org_a.organization, conversation_ids=[one.pk], add=[vip.pk])
    Conversation.objects.filter(pk=two.pk).update(status="closed")
    views = [
        saved_view_create(organization=org_a.organization, owner=org_a.user, name="VIP", label_id=vip.pk),
        saved_view_create(organization=org_a.organization, owner=org_a.user, name="Open", status="open"),
        saved_view_create(
            organization=org_a.organization, owner=org_a.user, name="Unread mine", assigned="me", unread=True
        ),
    ]
    with CaptureQueriesContext(connection) as queries:
        counts = saved_view_counts(user=org_a.user, organization=org_a.organization, views=views)
    assert len(queries) == len(views)
    assert [counts[v.pk] for v in views] == [1, 1, 0]
    assert (
        with_messages(
            conversation_list(user=org_a.user, organization=org_a.organization, **views[0].list_filters())
        ).count()
        == 1
    )


# --- live events ---------------------------------------------------------------------------------


def test_labelling_announces_the_rows_with_their_labels_and_label_changes_to_the_organization(
    org_a, django_capture_on_commit_callbacks
):
    one, two = thread(org_a, "+14155550141"), thread(org_a, "+14155550142")
    made = []

    def create() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            made.append(label_create(organization=org_a.organization, name="VIP", color="purple"))

    heard = collect_live_events(org_a.organization.pk, create, quiet=0.2)
    vip = made[0]
    assert heard == [
        {
            "type": events.Event.LABEL_CHANGED,
            "payload": {
                "id": vip.pk,
                "organizationId": org_a.organization.pk,
                "name": "VIP",
                "color": "purple",
                "deleted": False,
            },
        }
    ]

    def label_both() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            conversations_label(organization=org_a.organization, conversation_ids=[one.pk, two.pk], add=[vip.pk])

    everything = collect_live_events(org_a.organization.pk, label_both, quiet=0.2)
    activity = [e for e in everything if e["type"] == events.Event.ACTIVITY_CREATED]  # conversations.activity
    assert [(e["payload"]["event"], e["payload"]["data"]["labelName"]) for e in activity] == [("labelled", "VIP")] * 2
    heard = [e for e in everything if e["type"] != events.Event.ACTIVITY_CREATED]
    assert [e["type"] for e in heard] == [events.Event.CONVERSATION_UPDATED] * 2
    assert {e["payload"]["id"] for e in heard} == {one.pk, two.pk}
    assert all(e["payload"]["labels"] == [{"id": vip.pk, "name": "VIP", "color": "purple"}] for e in heard)

    def rename_and_delete() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            label_update(label=vip, name="Gold")
        with django_capture_on_commit_callbacks(execute=True):
            label_delete(label=Label.objects.get(pk=vip.pk))

    heard = collect_live_events(org_a.organization.pk, rename_and_delete, quiet=0.2)
    assert [(e["type"], e["payload"]["name"], e["payload"]["deleted"]) for e in heard] == [
        (events.Event.LABEL_CHANGED, "Gold", False),
        (events.Event.LABEL_CHANGED, "Gold", True),
    ]
    assert heard[1]["payload"]["id"] == vip.pk


def test_only_the_organizations_admins_create_rename_or_delete_labels(org_a, org_b):
    from smsinbox.models import User
    from smsinbox.services import membership_create

    agent = User.objects.create_user("carol")
    membership_create(organization=org_a.organization, user=agent)
    vip = label_create(organization=org_a.organization, name="VIP", actor=org_a.user)
    for actor in (agent, org_b.user):  # an agent; an admin of another organization
        for call in (
            lambda a=actor: label_create(organization=org_a.organization, name="Mine", actor=a),
            lambda a=actor: label_update(label=vip, name="Gold", actor=a),
            lambda a=actor: label_delete(label=vip, actor=a),
        ):
            with pytest.raises(ServiceError) as caught:
                call()
            assert caught.value.code == "forbidden"
    assert list(Label.objects.values_list("name", flat=True)) == ["VIP"]
