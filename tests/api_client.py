"""A token-authenticated JSON client for the REST API, and one organization's worth of real data.

Data is built through the real services and the signed Twilio webhook, as in production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client
from rest_framework.authtoken.models import Token

from conversations.models import Contact, Conversation
from conversations.services import contact_create, conversation_assign
from messaging.models import Message
from messaging.services.outbound import message_send
from smsinbox.services import SetupResult
from tests.twilio_posts import new_sid, post_inbound, post_status


class ApiClient:
    """JSON in, JSON out, as an integrator calls the API: ``Authorization: Token …`` (or nothing)."""

    def __init__(self, user: Any = None, **headers: str) -> None:
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            headers["Authorization"] = f"Token {token.key}"
        self.client = Client(headers=headers)

    def call(self, method: str, path: str, body: Any = None, **headers: str):
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path: str, **headers: str):
        return self.call("GET", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str):
        return self.call("POST", path, body, **headers)

    def patch(self, path: str, body: Any = None, **headers: str):
        return self.call("PATCH", path, body, **headers)

    def delete(self, path: str, **headers: str):
        return self.call("DELETE", path, **headers)


@dataclass
class Tenant:
    """One organization with a contact in a thread, a received MMS, a sent reply and a spare contact."""

    setup: SetupResult
    contact: Contact
    conversation: Conversation
    inbound: Message
    outbound: Message
    spare: Contact  # a contact with no conversation (free to rename, renumber or delete)

    @property
    def organization(self):
        return self.setup.organization

    @property
    def user(self):
        return self.setup.user


def build_tenant(setup: SetupResult, client: Client, *, contact_phone: str, spare_phone: str) -> Tenant:
    """Real data for ``setup``'s organization: an MMS received through the signed webhook, a reply sent
    through ``message_send`` and delivered (status callback), and the thread assigned to the admin."""
    organization = setup.organization
    number = str(organization.phone_numbers.get().number)
    contact = contact_create(organization=organization, phone=contact_phone, first_name="Maria", last_name="Lopez")
    response = post_inbound(
        client,
        to=number,
        from_=contact_phone,
        body="Is my order ready?",
        media=[("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg")],
    )
    assert response.status_code == 200
    inbound = Message.objects.get(organization=organization, direction="in")
    outbound = message_send(organization=organization, sender=setup.user, contact=contact, body="Yes, come by").message
    # Twilio's status callback names our id (``?m=``) before we know the SID: it records the SID too.
    callback = post_status(
        client, message_id=outbound.pk, sid=new_sid(), status="delivered", to=contact_phone, from_=number
    )
    assert callback.status_code == 200
    outbound.refresh_from_db()
    conversation = Conversation.objects.get(organization=organization, contact=contact)
    conversation_assign(conversation=conversation, assignee_id=setup.user.pk)
    spare = contact_create(organization=organization, phone=spare_phone, first_name="Sam", last_name="Spare")
    return Tenant(setup, contact, conversation, inbound, outbound, spare)
