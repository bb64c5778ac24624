"""Writes for messages: inbound (``message_receive``), status callbacks (``message_status_update``)."""

from messaging.services.inbound import ReceiveResult, UnknownNumber, message_receive
from messaging.services.status import StatusResult, message_status_update

__all__ = ["ReceiveResult", "StatusResult", "UnknownNumber", "message_receive", "message_status_update"]
