"""failed_code_counts and failed_message_page: one query each, the organization's failed sends only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.selectors import failed_code_counts, failed_message_page
from tests.messaging.services.test_retry import failed_send

pytestmark = pytest.mark.django_db


def test_counts_per_code_are_one_grouped_query_of_failed_and_undelivered_sends(org_a, org_b):
    for i, (code, status) in enumerate(
        [(30003, "failed"), (30003, "undelivered"), (30007, "undelivered"), (None, "failed")]
    ):
        failed_send(org_a, f"+1415555010{i}", code=code, status=status)
    failed_send(org_b, "+14155550101", code=30007)
    with CaptureQueriesContext(connection) as ctx:
        counts = failed_code_counts(organization=org_a.organization)
    assert len(ctx.captured_queries) == 1
    assert counts == [(30003, 2), (30007, 1), (None, 1)]


def test_a_page_is_one_query_with_contacts_however_many_rows(org_a):
    for i in range(5):
        failed_send(org_a, f"+1415555020{i}", code=30003)
    with CaptureQueriesContext(connection) as ctx:
        page = failed_message_page(organization=org_a.organization, limit=3)
        names = [m.conversation.contact.display_name for m in page.items]
    assert len(ctx.captured_queries) == 1
    assert len(names) == 3
    assert page.next_cursor
    assert len(failed_message_page(organization=org_a.organization, cursor=page.next_cursor).items) == 2
    assert failed_message_page(organization=org_a.organization, code=0).items == []  # no code: none here
