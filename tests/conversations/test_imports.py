"""Contacts from CSV: encodings, delimiters, quoted fields, bad numbers, duplicates, opt-out untouched, isolation."""

import os
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.imports import Outcome, contacts_import_preview, contacts_import_run
from conversations.models import Contact
from conversations.services import contact_create
from messaging.services import message_receive
from messaging.twilio.payloads import parse_inbound
from smsinbox.errors import ServiceError
from tests.twilio_posts import inbound_params


def test_bom_semicolons_and_quoted_fields(org_a):
    data = '\ufeffPhone;First name;Last name\n"(415) 555-0101";"María";"García; Jr"\n+447911123456;Ann;\n'.encode()
    report = contacts_import_preview(organization=org_a.organization, data=data)
    assert report.headers == ["Phone", "First name", "Last name"]
    assert [r.outcome for r in report.rows] == [Outcome.CREATE, Outcome.CREATE]
    assert Contact.objects.count() == 0  # a preview writes nothing
    contacts_import_run(organization=org_a.organization, data=data)
    maria = Contact.objects.get(phone="+14155550101")
    assert (maria.first_name, maria.last_name) == ("María", "García; Jr")
    assert Contact.objects.filter(phone="+447911123456").exists()


def test_commas_and_a_full_name_column(org_a):
    data = b'name,mobile\n"Smith, Jo",4155550101\nAda Lovelace,4155550102\n'
    report = contacts_import_run(organization=org_a.organization, data=data)
    assert report.created == 2
    assert Contact.objects.get(phone="+14155550102").last_name == "Lovelace"


def test_latin1_is_refused_with_a_clear_error(org_a):
    with pytest.raises(ServiceError) as refused:
        contacts_import_preview(
            organization=org_a.organization, data="phone,name\n4155550101,Jos\xe9\n".encode("latin-1")
        )
    assert "not UTF-8" in refused.value.message
    assert "CSV UTF-8" in refused.value.message


def test_bad_numbers_are_reported_with_row_and_value(org_a):
    data = b"phone,first_name\n4155550101,Ok\n12,Short\n,Empty\nnot a number,Text\n"
    report = contacts_import_run(organization=org_a.organization, data=data)
    errors = [(r.row, r.value) for r in report.rows if r.outcome == Outcome.ERROR]
    assert errors == [(3, "12"), (4, ""), (5, "not a number")]
    assert all(r.reason for r in report.rows)
    assert (report.created, report.errors) == (1, 3)


def test_duplicates_in_the_file_and_against_existing_contacts(org_a):
    org = org_a.organization
    contact_create(organization=org, phone="+14155550101", first_name="Kept", last_name="Stored")
    data = b"phone,first_name,last_name\n(415) 555-0101,,New last\n+14155550101,Again,\n4155550102,B,\n"
    preview = contacts_import_preview(organization=org, data=data)
    assert [r.outcome for r in preview.rows] == [Outcome.UPDATE, Outcome.DUPLICATE, Outcome.CREATE]
    report = contacts_import_run(organization=org, data=data)
    assert (report.created, report.updated, report.duplicates) == (1, 1, 1)
    kept = Contact.objects.get(organization=org, phone="+14155550101")
    assert (kept.first_name, kept.last_name) == ("Kept", "New last")  # an empty cell keeps the stored name
    assert Contact.objects.filter(organization=org).count() == 2


def test_importing_never_opts_anyone_in(org_a):
    message_receive(sms=parse_inbound(inbound_params(to="+14155550001", from_="+14155550101", body="STOP")))
    contacts_import_run(organization=org_a.organization, data=b"phone,first_name\n4155550101,Back\n")
    contact = Contact.objects.get()
    assert contact.is_opted_out
    assert contact.first_name == "Back"


def test_an_update_changes_the_names_and_keeps_the_contacts_other_columns(org_a):
    org = org_a.organization
    stored = contact_create(organization=org, phone="+14155550101", first_name="Old")
    Contact.objects.filter(pk=stored.pk).update(
        notes="Prefers mornings", line_type=Contact.LineType.LANDLINE, line_type_checked_at=stored.created_at
    )
    report = contacts_import_run(organization=org, data=b"phone,first_name,notes\n4155550101,New,Other notes\n")
    assert (report.created, report.updated) == (0, 1)
    contact = Contact.objects.get()
    assert contact.pk == stored.pk
    assert (contact.first_name, contact.notes, contact.line_type) == ("New", "Prefers mornings", "landline")
    assert contact.created_at == stored.created_at
    assert contact.updated_at > stored.updated_at


def test_another_organizations_contacts_are_neither_seen_nor_changed(org_a, org_b):
    contact_create(organization=org_b.organization, phone="+14155550101", first_name="Bravo")
    report = contacts_import_run(organization=org_a.organization, data=b"phone,first_name\n4155550101,Acme\n")
    assert report.created == 1
    assert Contact.objects.get(organization=org_b.organization).first_name == "Bravo"


def test_no_phone_column_is_a_clear_error(org_a):
    with pytest.raises(ServiceError, match="phone numbers"):
        contacts_import_preview(organization=org_a.organization, data=b"first,last\nA,B\n")


def _big_file(rows: int) -> bytes:
    lines = ["phone,first_name,last_name"] + [f"+1415{2000000 + i:07d},First{i},Last{i}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_queries_per_thousand_rows_are_bounded(org_a):
    with CaptureQueriesContext(connection) as queries:
        contacts_import_run(organization=org_a.organization, data=_big_file(1000))
    # One lookup of existing numbers and the inserts: one on PostgreSQL, ~11 on SQLite (999 parameters a statement,
    # a contact's 17 columns: 58 rows a statement); and the audit entry.
    assert len(queries) <= 19


# 10,000 rows in the ordinary run (a few seconds); IMPORT_BENCH_ROWS=100000 for the README's figure.
BENCH_ROWS = int(os.environ.get("IMPORT_BENCH_ROWS", "10000"))


def test_a_large_file_imports_and_prints_its_time(org_a):
    """Prints the time for ``BENCH_ROWS`` rows (a figure for the README, not an assertion)."""
    data = _big_file(BENCH_ROWS)
    started = time.perf_counter()
    report = contacts_import_run(organization=org_a.organization, data=data)
    elapsed = time.perf_counter() - started
    print(f"\nimport of {BENCH_ROWS:,} rows on {connection.vendor}: {elapsed:.1f} s")
    assert report.created == BENCH_ROWS
    assert Contact.objects.count() == BENCH_ROWS
