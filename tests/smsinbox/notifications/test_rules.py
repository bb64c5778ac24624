"""The notification rule (``smsinbox.notifications.rules.notifies``), by itself: which event notifies whom."""

import pytest

from smsinbox.notifications.models import NotificationSettings
from smsinbox.notifications.rules import Kind, notifies

ME, OTHER = 1, 2


def prefs(**values):
    base = dict.fromkeys(("inbound_mine", "inbound_unassigned", "inbound_all", "assigned_to_me", "mentions"), False)
    return NotificationSettings(**{**base, **values})


@pytest.mark.parametrize(
    ("chosen", "assignee", "expected"),
    [
        ({"inbound_mine": True}, ME, True),
        ({"inbound_mine": True}, OTHER, False),
        ({"inbound_mine": True}, None, False),
        ({"inbound_unassigned": True}, None, True),
        ({"inbound_unassigned": True}, ME, False),
        ({"inbound_unassigned": True}, OTHER, False),
        ({"inbound_all": True}, OTHER, True),
        ({"inbound_all": True}, None, True),
        ({}, ME, False),
        ({}, None, False),
    ],
)
def test_an_inbound_text_notifies_by_the_chosen_conversations(chosen, assignee, expected):
    assert notifies(prefs(**chosen), user_id=ME, kind=Kind.INBOUND, assignee_id=assignee) is expected


def test_an_assignment_notifies_the_new_assignee_only_when_chosen():
    assert notifies(prefs(assigned_to_me=True), user_id=ME, kind=Kind.ASSIGNED, assignee_id=ME, actor_id=OTHER)
    assert not notifies(prefs(assigned_to_me=True), user_id=ME, kind=Kind.ASSIGNED, assignee_id=OTHER)
    assert not notifies(prefs(), user_id=ME, kind=Kind.ASSIGNED, assignee_id=ME, actor_id=OTHER)


def test_nobody_is_notified_of_what_they_did_themselves():
    everything = prefs(inbound_all=True, assigned_to_me=True, mentions=True)
    assert not notifies(everything, user_id=ME, kind=Kind.ASSIGNED, assignee_id=ME, actor_id=ME)
    assert not notifies(everything, user_id=ME, kind=Kind.MENTION, assignee_id=None, actor_id=ME, mentioned_ids={ME})


def test_a_mention_notifies_the_mentioned_who_chose_mentions():
    assert notifies(prefs(mentions=True), user_id=ME, kind=Kind.MENTION, assignee_id=None, mentioned_ids={ME})
    assert not notifies(prefs(mentions=True), user_id=ME, kind=Kind.MENTION, assignee_id=None, mentioned_ids={OTHER})
    assert not notifies(prefs(), user_id=ME, kind=Kind.MENTION, assignee_id=None, mentioned_ids={ME})


def test_the_defaults_notify_of_my_and_unassigned_conversations_and_assignments():
    defaults = NotificationSettings()
    assert notifies(defaults, user_id=ME, kind=Kind.INBOUND, assignee_id=None)
    assert notifies(defaults, user_id=ME, kind=Kind.INBOUND, assignee_id=ME)
    assert not notifies(defaults, user_id=ME, kind=Kind.INBOUND, assignee_id=OTHER)
    assert notifies(defaults, user_id=ME, kind=Kind.ASSIGNED, assignee_id=ME, actor_id=OTHER)
    assert (defaults.sound, defaults.desktop) == (False, True)
