"""``message_send``'s refusals of what must not be sent (more of its behaviour: test_delivery.py, test_schedule.py,
tests/web/api/test_send.py)."""

import pytest

from conversations.services import contact_get_or_create
from messaging.models import Message
from messaging.services.outbound import message_send
from smsinbox.errors import ServiceError


@pytest.mark.parametrize("body", ["See you at [[time]]", "[[date]] works?"])
def test_a_text_with_an_unfilled_placeholder_is_refused_and_nothing_is_stored(org_a, body):
    """The server's half of the composer's rule: an API client or a page without JavaScript cannot send one."""
    contact, _ = contact_get_or_create(organization=org_a.organization, e164="+14155550101")
    with pytest.raises(ServiceError) as refused:
        message_send(organization=org_a.organization, sender=org_a.user, contact=contact, body=body)
    assert refused.value.code == "placeholder"
    assert "Fill in [[" in refused.value.message
    assert not Message.objects.exists()
    assert message_send(
        organization=org_a.organization, sender=org_a.user, contact=contact, body="[not a placeholder] [[]]"
    ).created
