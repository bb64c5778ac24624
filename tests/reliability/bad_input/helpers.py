"""What the bad-input tests share: the organization's routes, hypothesis settings, text strategies, a
rolled-back savepoint per example, and the checks that no row holds a NUL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import hypothesis
from django.conf import settings as django_settings
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck
from hypothesis import strategies as st

from conversations.models import Contact, Conversation
from messaging.models import Message, MessageEvent, MessageMedia

ORG_NUMBER = "+14155550001"  # organization A's number (tests/conftest.py)
INCOMING = "/api/twilio/sms-incoming"
STATUS = "/api/twilio/sms-status"
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
ON_SQLITE = django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")

FUZZ = hypothesis.settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays deterministic
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the organization is built once per test; examples roll back
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
PURE = hypothesis.settings(FUZZ, max_examples=150)

# Any text: control characters, NUL and digits that are not ASCII ("²", "٧") included; lone surrogates
# excluded (they cannot be form-encoded).
any_text = st.text(max_size=60)
phoneish_text = st.text(alphabet="0123456789+()-. /#*xet;:=\t\u00a0０１٣²", max_size=28)
SID = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32).map(lambda h: "SM" + h)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint that is always rolled back: each example starts from the same rows."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


def row_counts() -> dict[str, int]:
    models = (Contact, Conversation, Message, MessageMedia, MessageEvent, DBTaskResult)
    return {model.__name__: model.objects.count() for model in models}


def no_text_has_nul() -> bool:
    """No stored text holds a NUL byte (SQLite would store one; PostgreSQL refuses it). Checked in Python:
    SQLite's LIKE stops at a NUL, so a database-side ``contains`` would match everything."""
    texts = [
        *Message.objects.values_list("body", "idempotency_key", "from_number", "error_message"),
        *MessageMedia.objects.values_list("url", "content_type"),
        *Contact.objects.values_list("first_name", "last_name"),
        *MessageEvent.objects.values_list("status", "error_message"),
    ]
    return not any("\x00" in (value or "") for row in texts for value in row)
