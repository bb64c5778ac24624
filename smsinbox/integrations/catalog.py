"""Every outgoing webhook event type and every API key scope, stated once (pages, admin, API, README read these)."""

from __future__ import annotations

from enum import StrEnum


class WebhookEventType(StrEnum):
    """What an endpoint may subscribe to; the ``type`` of a delivered event."""

    MESSAGE_RECEIVED = "message.received"  # data: the REST API's message
    MESSAGE_SENT = "message.sent"  # data: the REST API's message (stored, queued for Twilio)
    MESSAGE_STATUS_CHANGED = "message.status_changed"  # data: the REST API's message (status, errorCode)
    CONVERSATION_ASSIGNED = "conversation.assigned"  # data: the REST API's conversation (assigneeId, maybe null)
    CONVERSATION_CLOSED = "conversation.closed"  # data: the REST API's conversation
    CONVERSATION_REOPENED = "conversation.reopened"  # data: the REST API's conversation
    CONTACT_CREATED = "contact.created"  # data: the REST API's contact
    CONTACT_UPDATED = "contact.updated"  # data: the REST API's contact
    CONTACT_OPTED_OUT = "contact.opted_out"  # data: the REST API's contact
    CONTACT_OPTED_IN = "contact.opted_in"  # data: the REST API's contact
    CONTACT_MERGED = "contact.merged"  # data: the REST API's kept contact, with mergedContactId and mergedPhone
    CONTACT_ERASED = "contact.erased"  # data: {contactId, erasedAt} only: the person's data is gone, say so downstream
    NOTE_CREATED = "note.created"  # data: the REST API's note


# Sent only by "Send test event", to the one endpoint; never subscribed to.
TEST_EVENT = "webhook.test"

EVENT_DESCRIPTIONS: dict[str, str] = {
    WebhookEventType.MESSAGE_RECEIVED: "A customer texted in",
    WebhookEventType.MESSAGE_SENT: "Your team or an API key sent a text",
    WebhookEventType.MESSAGE_STATUS_CHANGED: "A sent text was delivered, undelivered or failed (with the error code)",
    WebhookEventType.CONVERSATION_ASSIGNED: "A conversation was assigned or unassigned",
    WebhookEventType.CONVERSATION_CLOSED: "A conversation was closed",
    WebhookEventType.CONVERSATION_REOPENED: "A conversation was reopened",
    WebhookEventType.CONTACT_CREATED: "A contact was created",
    WebhookEventType.CONTACT_UPDATED: "A contact was renamed, renumbered or relabelled",
    WebhookEventType.CONTACT_OPTED_OUT: "A contact opted out (STOP, staff, or Twilio's 21610)",
    WebhookEventType.CONTACT_OPTED_IN: "A contact opted back in (START)",
    WebhookEventType.CONTACT_MERGED: "Two contacts of the same person were merged into one",
    WebhookEventType.CONTACT_ERASED: "A contact was erased on request (only its id is sent)",
    WebhookEventType.NOTE_CREATED: "A private note was written in a thread",
}


class Scope(StrEnum):
    """What an organization API key may do; each API operation needs one (``smsinbox.web.api.keys.SCOPES``)."""

    MESSAGES_SEND = "messages:send"
    MESSAGES_READ = "messages:read"
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    CONVERSATIONS_READ = "conversations:read"
    CONVERSATIONS_WRITE = "conversations:write"
    REPORTS_READ = "reports:read"


SCOPE_DESCRIPTIONS: dict[str, str] = {
    Scope.MESSAGES_SEND: "Send texts and replies, retry failed texts",
    Scope.MESSAGES_READ: "Read messages and threads",
    Scope.CONTACTS_READ: "Read contacts",
    Scope.CONTACTS_WRITE: "Create, edit and delete contacts",
    Scope.CONVERSATIONS_READ: "Read conversations, notes and labels",
    Scope.CONVERSATIONS_WRITE: "Close, reopen, assign and mark conversations read",
    Scope.REPORTS_READ: "Read reports",
}
