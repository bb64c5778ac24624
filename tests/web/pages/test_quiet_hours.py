"""The Quiet hours page (/settings/hours/quiet/): admins only, linked from Business hours, refusals on the form."""

from __future__ import annotations

from datetime import time

import pytest

from messaging.hours.models import QuietHours
from smsinbox.models import User
from smsinbox.services import membership_create

URL = "/settings/hours/quiet/"


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


@pytest.mark.django_db
def test_the_business_hours_page_links_to_it(alice):
    assert f'href="{URL}"' in alice.get("/settings/hours/").content.decode()


@pytest.mark.django_db
def test_an_admin_turns_quiet_hours_on(alice, org_a):
    page = alice.get(URL)
    assert page.status_code == 200
    assert 'value="08:00"' in page.content.decode()
    assert 'value="21:00"' in page.content.decode()
    response = alice.post(URL, {"enabled": "on", "opens": "09:00", "closes": "20:30"})
    assert response.status_code == 302
    quiet = QuietHours.objects.get(organization=org_a.organization)
    assert (quiet.enabled, quiet.opens, quiet.closes) == (True, time(9), time(20, 30))
    assert "Quiet hours saved." in alice.get(URL).content.decode()


@pytest.mark.django_db
def test_a_window_out_of_order_is_refused_on_the_form(alice, org_a):
    response = alice.post(URL, {"enabled": "on", "opens": "21:00", "closes": "08:00"})
    assert response.status_code == 400
    assert "must be earlier" in response.content.decode()
    assert not QuietHours.objects.exists()
    assert alice.post(URL, {"enabled": "on", "opens": "soon", "closes": "08:00"}).status_code == 400


@pytest.mark.django_db
def test_an_agent_may_not_change_them(client, org_a):
    carol = User.objects.create_user("carol", password="pw-c")
    membership_create(organization=org_a.organization, user=carol)
    client.force_login(carol)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"enabled": "on", "opens": "08:00", "closes": "21:00"}).status_code == 403
    assert not QuietHours.objects.exists()


@pytest.mark.django_db
def test_the_thread_says_a_message_is_held_for_quiet_hours(alice, org_a):
    from datetime import UTC, datetime, timedelta

    from conversations.services import contact_create
    from messaging.hours.quiet import quiet_hours_update
    from messaging.models import Message
    from messaging.services.outbound import message_send
    from messaging.services.schedule import messages_send_due

    quiet_hours_update(organization=org_a.organization, actor=org_a.user, enabled=True, opens=time(8), closes=time(21))
    contact = contact_create(organization=org_a.organization, phone="+14155550101")
    message = message_send(
        organization=org_a.organization, sender=org_a.user, contact=contact, body="Your order is ready",
        send_at=datetime.now(UTC) + timedelta(minutes=5),
    ).message  # fmt: skip
    page = alice.get(f"/c/{message.conversation_id}/").content.decode()
    assert "Held for quiet hours" not in page
    night = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)  # 02:00 in LA
    Message.objects.filter(pk=message.pk).update(send_at=night - timedelta(minutes=1))
    assert messages_send_due(now=night) == 1
    page = alice.get(f"/c/{message.conversation_id}/").content.decode()
    assert "Held for quiet hours until" in page
