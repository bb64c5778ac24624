"""The conversation-list row live inboxes and the API share."""

from conversations.models import Conversation
from conversations.payloads import conversation_payload
from conversations.services import conversation_touch


def test_the_row_carries_the_conversations_version(conversation_a):
    assert conversation_payload(conversation_a)["version"] == 0
    conversation_touch(conversation=conversation_a, preview="hi", unread_increment=1)
    stored = Conversation.objects.select_related("contact", "assignee").get(pk=conversation_a.pk)
    assert conversation_payload(stored)["version"] == stored.version == 1
    assert conversation_payload(conversation_a) == conversation_payload(stored)  # touch mirrors the update
