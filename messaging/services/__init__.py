"""Writes for messages, one module per path a message takes:

- ``inbound``: ``message_receive``, a text that came in;
- ``outbound``: ``message_send``, store a text to send and enqueue its delivery;
- ``delivery``: ``message_deliver``, hand it to Twilio (the task worker runs it);
- ``status``: ``message_status_update`` / ``message_apply_report``, what Twilio says about a message;
- ``reconcile``: ``messages_reconcile``, settle messages whose delivery or status went quiet;
- ``ratelimit`` (a number's sending pace) and ``announce`` (their live events) serve them.
"""

from messaging.services.delivery import DeliveryOutcome, message_deliver
from messaging.services.inbound import ReceiveResult, UnknownNumber, message_receive
from messaging.services.outbound import SendResult, message_send
from messaging.services.reconcile import ReconcileResult, messages_reconcile
from messaging.services.status import StatusResult, message_status_update

__all__ = [
    "DeliveryOutcome",
    "ReceiveResult",
    "ReconcileResult",
    "SendResult",
    "StatusResult",
    "UnknownNumber",
    "message_deliver",
    "message_receive",
    "message_send",
    "message_status_update",
    "messages_reconcile",
]
