"""Integrations: signed outgoing webhooks (an outbox delivered by the task workers) and organization API keys.

- ``catalog``: the outgoing event types, stated once.
- ``outbox``: ``outbox_record``, called by ``smsinbox.events.publish_on_commit`` inside the service's own
  transaction: a change and its outgoing events commit together or not at all.
- ``delivery``: the delivery state machine (claim with a lease, POST, record; backoff up to a day; pause).
- ``http``: the one HTTP client of outgoing webhooks, with the server-side request forgery guard.
- ``signing``: the signature receivers verify.
- ``keys``: organization API keys (create, authenticate, revoke) and their scopes.
- ``services``: what admins do with endpoints (create, pause, resume, test, redeliver).
"""
