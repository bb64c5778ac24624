"""Notifications: who is told about what (``rules``), each user's preferences and push subscriptions
(``models``), the writes (``services``) and Web Push delivery (``push``).

The rule lives here only: services of the layers above call ``notification_dispatch`` with what
happened; it picks the recipients by their preferences and, once the transaction commits, sends
each of them a ``notification.created`` live event (their open tabs show it, ``static/js/notify.js``)
and enqueues the Web Push task (their devices show it when no tab is open, ``static/js/sw.js``).
"""
