"""Notification services: preferences and time zone, who a real inbound text or assignment notifies (heard on
each user's group of the real channel layer), and push subscriptions."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django_tasks_db.models import DBTaskResult

from conversations.services import conversation_assign
from smsinbox.errors import ServiceError
from smsinbox.events import Event, frame, user_group
from smsinbox.models import Membership, User
from smsinbox.notifications.models import NotificationSettings, PushSubscription
from smsinbox.notifications.services import (
    push_subscription_delete,
    push_subscription_save,
    settings_for,
    user_notification_settings_update,
)
from tests.twilio_posts import post_inbound

TO = "+14155550001"
ALL_OFF = dict.fromkeys(
    ("inbound_mine", "inbound_unassigned", "inbound_all", "assigned_to_me", "mentions", "sound", "desktop"), False
)


def heard_by_users(user_ids, action, *, quiet=0.3):
    """Run ``action`` while listening on each user's group; ``{user id: [frames]}``."""

    async def scenario():
        layer = get_channel_layer()
        channels = {}
        for user_id in user_ids:
            channels[user_id] = await layer.new_channel()
            await layer.group_add(user_group(user_id), channels[user_id])
        try:
            await sync_to_async(action)()
            heard = {user_id: [] for user_id in user_ids}
            for user_id, channel in channels.items():
                while True:
                    try:
                        heard[user_id].append(frame(await asyncio.wait_for(layer.receive(channel), timeout=quiet)))
                    except TimeoutError:
                        break
            return heard
        finally:
            for user_id, channel in channels.items():
                await layer.group_discard(user_group(user_id), channel)

    return async_to_sync(scenario)()


@pytest.fixture
def carol(org_a):
    user = User.objects.create_user("carol", password="pw-carol-1")
    Membership.objects.create(user=user, organization=org_a.organization)
    return user


def test_a_user_who_never_saved_has_the_defaults(org_a):
    prefs = settings_for(org_a.user)
    assert prefs.pk is None or not NotificationSettings.objects.filter(pk=prefs.pk).exists()
    assert (prefs.inbound_mine, prefs.inbound_unassigned, prefs.inbound_all) == (True, True, False)


def test_settings_and_time_zone_are_stored_for_that_user_only(org_a, carol):
    user_notification_settings_update(user=org_a.user, time_zone="Europe/Berlin", **{**ALL_OFF, "sound": True})
    org_a.user.refresh_from_db()
    assert org_a.user.time_zone == "Europe/Berlin"
    stored = NotificationSettings.objects.get(user=org_a.user)
    assert (stored.sound, stored.desktop, stored.inbound_unassigned) == (True, False, False)
    carol.refresh_from_db()
    assert carol.time_zone == ""
    assert not NotificationSettings.objects.filter(user=carol).exists()


def test_an_unknown_time_zone_is_refused_and_nothing_is_written(org_a):
    with pytest.raises(ServiceError) as refused:
        user_notification_settings_update(user=org_a.user, time_zone="Mars/Olympus_Mons", **ALL_OFF)
    assert refused.value.field == "time_zone"
    assert "Mars/Olympus_Mons" in refused.value.message
    org_a.user.refresh_from_db()
    assert org_a.user.time_zone == ""
    assert not NotificationSettings.objects.exists()


def test_an_inbound_text_notifies_by_each_members_preferences_and_no_other_tenant(
    client, org_a, org_b, carol, django_capture_on_commit_callbacks
):
    user_notification_settings_update(user=carol, time_zone="", **ALL_OFF)  # carol: nothing

    def text_in():
        with django_capture_on_commit_callbacks(execute=True):
            post_inbound(client, to=TO, from_="+14155550123", body="Is   Thursday\nstill fine?")

    heard = heard_by_users([org_a.user.pk, carol.pk, org_b.user.pk], text_in)
    assert heard[carol.pk] == []
    assert heard[org_b.user.pk] == []
    [event] = heard[org_a.user.pk]
    assert event["type"] == Event.NOTIFICATION_CREATED
    payload = event["payload"]
    assert payload["kind"] == "inbound"
    assert payload["organization"] == org_a.organization.pk
    assert payload["body"] == "Is Thursday still fine?"
    assert payload["url"] == f"/c/{payload['conversation']}/"
    assert payload["tag"].startswith("message-")


def test_an_assignment_notifies_the_assignee_unless_they_took_it_themselves(
    org_a, carol, conversation_a, django_capture_on_commit_callbacks
):
    def assign(to, by):
        def action():
            with django_capture_on_commit_callbacks(execute=True):
                conversation_assign(conversation=conversation_a, assignee_id=to.pk, by_user_id=by.pk)

        return action

    heard = heard_by_users([org_a.user.pk, carol.pk], assign(carol, org_a.user))
    assert heard[org_a.user.pk] == []
    [event] = heard[carol.pk]
    assert event["payload"]["kind"] == "assigned"
    assert event["payload"]["title"].startswith("Assigned to you")

    heard = heard_by_users([org_a.user.pk], assign(org_a.user, org_a.user))
    assert heard[org_a.user.pk] == []


def test_push_is_queued_only_for_recipients_with_a_subscription(
    client, org_a, carol, django_capture_on_commit_callbacks
):
    push_subscription_save(user=carol, endpoint="https://push.example/carol", p256dh="BKey", auth="secret")
    user_notification_settings_update(user=carol, time_zone="", **ALL_OFF)
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(client, to=TO, from_="+14155550124", body="first")
    assert not DBTaskResult.objects.exists()  # alice is notified, but has no subscription; carol is not notified
    user_notification_settings_update(user=carol, time_zone="", **{**ALL_OFF, "inbound_all": True})
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(client, to=TO, from_="+14155550124", body="second")
    [task] = DBTaskResult.objects.all()
    assert task.task_path.endswith("web_push_task")
    assert task.args_kwargs["kwargs"]["user_ids"] == [carol.pk]


def test_a_subscription_needs_an_https_endpoint_and_its_keys(org_a):
    with pytest.raises(ServiceError) as refused:
        push_subscription_save(user=org_a.user, endpoint="http://10.0.0.1/admin", p256dh="BKey", auth="secret")
    assert refused.value.field == "endpoint"
    with pytest.raises(ServiceError) as refused:
        push_subscription_save(user=org_a.user, endpoint="https://push.example/x", p256dh="", auth="secret")
    assert refused.value.field == "p256dh"
    assert not PushSubscription.objects.exists()


def test_a_browser_subscribed_again_by_another_user_moves_to_them(org_a, carol):
    push_subscription_save(user=org_a.user, endpoint="https://push.example/one", p256dh="BKey", auth="secret")
    push_subscription_save(user=carol, endpoint="https://push.example/one", p256dh="BKey2", auth="secret2")
    [subscription] = PushSubscription.objects.all()
    assert (subscription.user, subscription.p256dh) == (carol, "BKey2")
    assert not push_subscription_delete(user=org_a.user, endpoint="https://push.example/one")  # not alice's now
    assert push_subscription_delete(user=carol, endpoint="https://push.example/one")
    assert not PushSubscription.objects.exists()


def test_a_mention_in_a_note_notifies_the_mentioned_member_by_their_settings(
    org_a, carol, conversation_a, django_capture_on_commit_callbacks
):
    from conversations.services import note_create

    dave = User.objects.create_user("dave", password="pw-dave-1")
    Membership.objects.create(user=dave, organization=org_a.organization)
    user_notification_settings_update(user=dave, time_zone="", **{**ALL_OFF, "mentions": False})

    def write():
        with django_capture_on_commit_callbacks(execute=True):
            note_create(conversation=conversation_a, author=org_a.user, body="@carol and @dave, see this")

    heard = heard_by_users([org_a.user.pk, carol.pk, dave.pk], write)
    notified = {
        uid: [f["payload"] for f in frames if f["type"] == Event.NOTIFICATION_CREATED] for uid, frames in heard.items()
    }
    assert notified[org_a.user.pk] == []  # the author is never notified of their own note
    assert notified[dave.pk] == []  # mentions switched off
    [carols] = notified[carol.pk]
    assert carols["kind"] == "mention"
    assert carols["conversation"] == conversation_a.pk
    assert carols["title"] == "alice mentioned you"
    assert "see this" in carols["body"]
