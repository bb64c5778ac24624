"""``LOG_FORMAT=json``: one JSON object per line, for log shippers.

Each line carries ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` (formatted), and the
identifiers a record names in its ``extra``: ``message_sid`` (Twilio's MessageSid) and ``message_id``
(ours), and ``outcome`` (what happened to it); ``exception`` holds a traceback when there is one.
Newlines inside values are escaped by JSON, so one event is always one line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Attributes of a record that callers may set through ``extra`` and that a line carries when present.
EXTRA_FIELDS = ("message_sid", "message_id", "outcome")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)
