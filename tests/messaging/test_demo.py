from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from conversations.models import Contact, Conversation
from messaging.demo import DEMO_ORG, demo_seed
from messaging.models import Message


def test_seed_creates_threads_once_and_resets_the_password(db):
    first = demo_seed()
    assert first.created_data
    counts = (Contact.objects.count(), Conversation.objects.count(), Message.objects.count())
    assert counts[0] >= 3
    assert counts[2] >= 5
    second = demo_seed()
    assert not second.created_data
    assert (Contact.objects.count(), Conversation.objects.count(), Message.objects.count()) == counts
    from smsinbox.models import User

    assert User.objects.get(username="demo").check_password(second.password)


def test_seed_keeps_international_numbers_apart(db):
    demo_seed()
    assert Contact.objects.filter(phone__in=["+447700900123", "+17700900123"]).count() == 2


def test_seed_unread_counts_match_the_threads(db):
    demo_seed()
    assert sum(Conversation.objects.values_list("unread_count", flat=True)) == 3


def test_command_prints_the_login(db):
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=out)
    assert "username: demo" in out.getvalue()
    assert DEMO_ORG in out.getvalue()


def test_command_refuses_without_debug(db):
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("seed_demo")
