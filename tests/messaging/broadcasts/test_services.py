"""Broadcasts: preview counts, variables, creation, the state machine (``messaging.broadcasts.services``)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conversations.label_rows import contact_labels_replace
from conversations.labels import label_create
from conversations.models import Contact
from conversations.services import contact_create, contact_opt_out
from messaging.broadcasts.models import Broadcast, BroadcastRecipient, BroadcastState
from messaging.broadcasts.services import (
    broadcast_cancel,
    broadcast_create,
    broadcast_pause,
    broadcast_preview,
    broadcast_resume,
)
from smsinbox.audit.models import AuditEntry
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, User
from smsinbox.services import membership_create

pytestmark = pytest.mark.django_db


def people(org_a, n: int = 3) -> list[Contact]:
    return [
        contact_create(organization=org_a.organization, phone=f"+1415555{i:04d}", first_name=f"P{i}")
        for i in range(101, 101 + n)
    ]


def test_preview_counts_duplicates_invalid_and_opted_out(org_a):
    a, b, c = people(org_a)
    contact_opt_out(contact=c, method=Contact.OptOutMethod.STAFF)
    label = label_create(organization=org_a.organization, name="VIP")
    contact_labels_replace(contact=a, labels=[label])
    preview = broadcast_preview(
        organization=org_a.organization,
        user=org_a.user,
        body="Hi {{contact.first_name|there}}, we are open Saturday.",
        label_ids=[label.pk],
        contact_ids=[a.pk, b.pk, c.pk],
        numbers=[str(b.phone), "+14155550199", "+1 (415) 555-0199", "not a number", "12"],
    )
    assert preview.as_dict() == {
        "recipients": 3,  # a, b and the new number
        "excluded": {"opted_out": 1, "invalid": 2, "duplicates": 3, "landline": 0},
        "segments": 1,
        "estimated_seconds": 3,  # 3 recipients at the number's 1 message a second
        "from_number": None,  # not chosen: each from its conversation's own number
    }
    assert Broadcast.objects.count() == 0
    assert not Contact.objects.filter(phone="+14155550199").exists()  # a preview creates nothing


def test_segments_count_the_longest_text_with_variables_filled(org_a):
    (a,) = people(org_a, 1)
    Contact.objects.filter(pk=a.pk).update(first_name="ł" * 60)  # UCS-2: 70 characters a segment
    preview = broadcast_preview(
        organization=org_a.organization, user=org_a.user, body="Hi {{contact.first_name}}!", contact_ids=[a.pk]
    )
    assert preview.segments == 1
    preview = broadcast_preview(
        organization=org_a.organization, user=org_a.user, body="Hello {{contact.first_name}}!!", contact_ids=[a.pk]
    )
    assert preview.segments == 1  # 68 characters
    Contact.objects.filter(pk=a.pk).update(first_name="ł" * 80)
    assert (
        broadcast_preview(
            organization=org_a.organization, user=org_a.user, body="Hi {{contact.first_name}}", contact_ids=[a.pk]
        ).segments
        == 2
    )


@pytest.mark.parametrize("body", ["Hi {{contact.age}}", "Hi {{contact.first_name", "   "])
def test_an_unknown_or_broken_variable_or_empty_message_is_refused(org_a, body):
    (a,) = people(org_a, 1)
    with pytest.raises(ServiceError) as refused:
        broadcast_create(organization=org_a.organization, user=org_a.user, body=body, contact_ids=[a.pk])
    assert refused.value.field == "message"
    assert Broadcast.objects.count() == 0


def test_another_organizations_contact_or_label_is_refused(org_a, org_b):
    theirs = contact_create(organization=org_b.organization, phone="+12125550150")
    label = label_create(organization=org_b.organization, name="Theirs")
    with pytest.raises(ServiceError, match=r"Contact \d+ not found"):
        broadcast_preview(organization=org_a.organization, user=org_a.user, body="Hi", contact_ids=[theirs.pk])
    with pytest.raises(ServiceError, match=r"Label \d+ not found"):
        broadcast_preview(organization=org_a.organization, user=org_a.user, body="Hi", label_ids=[label.pk])


def test_agents_may_not_send_broadcasts(org_a):
    agent = User.objects.create_user("agent", password="pw-agent-1")
    membership_create(organization=org_a.organization, user=agent, role=Membership.Role.AGENT)
    (a,) = people(org_a, 1)
    with pytest.raises(ServiceError) as refused:
        broadcast_create(organization=org_a.organization, user=agent, body="Hi", contact_ids=[a.pk])
    assert refused.value.code == "forbidden"


def test_create_stores_recipients_and_exclusions_and_enqueues_its_run(org_a):
    a, b, c = people(org_a)
    contact_opt_out(contact=c, method=Contact.OptOutMethod.STAFF)
    broadcast = broadcast_create(
        organization=org_a.organization,
        user=org_a.user,
        body="Hi {{contact.first_name}}",
        contact_ids=[a.pk, b.pk, c.pk, a.pk],
        numbers=["+14155550199", "nope"],
    )
    rows = dict(BroadcastRecipient.objects.filter(broadcast=broadcast).values_list("number", "status"))
    assert rows == {
        str(a.phone): "queued",
        str(b.phone): "queued",
        "+14155550199": "queued",
        str(c.phone): "excluded",
        "nope": "excluded",
    }
    assert Contact.objects.filter(organization=org_a.organization, phone="+14155550199").exists()
    assert (broadcast.state, broadcast.recipient_count, broadcast.excluded_count, broadcast.duplicate_count) == (
        "queued",
        3,
        2,
        1,
    )
    assert DBTaskResult.objects.filter(task_path__endswith="broadcast_run_task").count() == 2  # parallel runs
    assert AuditEntry.objects.filter(action="broadcast.created", target_id=broadcast.pk).exists()


def test_nobody_left_to_text_is_refused(org_a):
    (a,) = people(org_a, 1)
    contact_opt_out(contact=a, method=Contact.OptOutMethod.STAFF)
    with pytest.raises(ServiceError, match="Nobody"):
        broadcast_create(organization=org_a.organization, user=org_a.user, body="Hi", contact_ids=[a.pk])
    assert Broadcast.objects.count() == 0


def test_the_state_machine_allows_only_its_moves(org_a):
    (a,) = people(org_a, 1)
    broadcast = broadcast_create(organization=org_a.organization, user=org_a.user, body="Hi", contact_ids=[a.pk])
    with pytest.raises(ServiceError) as refused:
        broadcast_resume(broadcast=broadcast, user=org_a.user)
    assert refused.value.code == "broadcast_state"
    assert broadcast_pause(broadcast=broadcast, user=org_a.user).state == "paused"
    assert broadcast_resume(broadcast=broadcast, user=org_a.user).state == "queued"
    cancelled = broadcast_cancel(broadcast=broadcast, user=org_a.user)
    assert cancelled.state == "cancelled"
    assert cancelled.finished_at is not None
    assert BroadcastRecipient.objects.get(broadcast=broadcast).reason == "cancelled"
    for move in (broadcast_pause, broadcast_resume, broadcast_cancel):
        with pytest.raises(ServiceError, match="is cancelled") as refused:
            move(broadcast=broadcast, user=org_a.user)
        assert refused.value.code == "broadcast_state"
    assert set(AuditEntry.objects.filter(target_type="broadcast").values_list("action", flat=True)) == {
        "broadcast.created",
        "broadcast.paused",
        "broadcast.resumed",
        "broadcast.cancelled",
    }


def test_the_database_refuses_an_unknown_state_or_a_finished_live_one(org_a):
    (a,) = people(org_a, 1)
    broadcast = broadcast_create(organization=org_a.organization, user=org_a.user, body="Hi", contact_ids=[a.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        Broadcast.objects.filter(pk=broadcast.pk).update(state="bogus")
    with pytest.raises(IntegrityError), transaction.atomic():
        Broadcast.objects.filter(pk=broadcast.pk).update(state=BroadcastState.DONE)  # no finished_at
    with pytest.raises(IntegrityError), transaction.atomic():
        Broadcast.objects.filter(pk=broadcast.pk).update(finished_at=timezone.now())  # still queued
    with pytest.raises(IntegrityError), transaction.atomic():
        BroadcastRecipient.objects.filter(broadcast=broadcast).update(status="excluded")  # no reason


@pytest.mark.django_db
def test_the_number_it_goes_from_is_one_of_the_organizations_and_previewed(org_a, org_b):
    from smsinbox.errors import ServiceError
    from smsinbox.services import phone_number_create

    second = phone_number_create(organization=org_a.organization, number="+14155550002", friendly_name="Uptown")
    sources = {"organization": org_a.organization, "user": org_a.user, "body": "Hi", "numbers": ["+14155550101"]}
    assert broadcast_preview(**sources).from_number is None  # each from its conversation's own number
    assert broadcast_preview(**sources, phone_number_id=second.pk).from_number == "+14155550002 (Uptown)"
    chosen = broadcast_create(**sources, phone_number_id=second.pk)
    assert (chosen.phone_number_id, chosen.from_chosen) == (second.pk, True)
    assert broadcast_create(**sources).from_chosen is False
    stranger = org_b.organization.phone_numbers.get()
    for refused in (lambda: broadcast_preview(**sources, phone_number_id=stranger.pk),
                    lambda: broadcast_create(**sources, phone_number_id=stranger.pk)):  # fmt: skip
        with pytest.raises(ServiceError) as error:
            refused()
        assert error.value.field == "fromNumberId"
