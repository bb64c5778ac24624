"""CSV downloads: contacts (streamed, bounded memory, spreadsheet-safe) and a conversation's transcript."""

import csv
import io
import tracemalloc
import zoneinfo

from django.urls import reverse
from django.utils import timezone

from conversations.exports import CONTACT_EXPORT_HEADER
from conversations.models import Contact
from conversations.services import contact_create
from messaging.services import message_receive
from messaging.twilio.payloads import parse_inbound
from smsinbox.csv_export import csv_cell
from tests.twilio_posts import inbound_params


def _read(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_contacts_export_round_trips_and_guards_formulas(client, org_a):
    org = org_a.organization
    contact_create(organization=org, phone="(415) 555-0101", first_name="=HYPERLINK(1)", last_name='O"Brien, Jr')
    contact_create(organization=org, phone="+447911123456", first_name="@sum", last_name="-2+3")
    stop = message_receive(sms=parse_inbound(inbound_params(to="+14155550001", from_="+14155550102", body="STOP")))
    assert stop is not None
    client.force_login(org_a.user)
    response = client.get(reverse("contacts-export"))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    rows = _read(response)
    assert tuple(rows[0]) == CONTACT_EXPORT_HEADER
    by_number = {row[0]: dict(zip(CONTACT_EXPORT_HEADER, row, strict=True)) for row in rows[1:]}
    assert set(by_number) == {"'+14155550101", "'+447911123456", "'+14155550102"}  # E.164 starts with +: guarded
    maria = by_number["'+14155550101"]
    assert maria["phone_national"] == "(415) 555-0101"
    assert maria["first_name"] == "'=HYPERLINK(1)"
    assert maria["last_name"] == 'O"Brien, Jr'
    assert maria["opted_out"] == "no"
    assert (maria["line_type"], maria["line_type_checked_at"]) == ("", "")  # never checked with Lookup
    assert (by_number["'+447911123456"]["first_name"], by_number["'+447911123456"]["last_name"]) == ("'@sum", "'-2+3")
    stopped = by_number["'+14155550102"]
    assert (stopped["opted_out"], stopped["opt_out_method"], stopped["opt_out_keyword"]) == ("yes", "keyword", "STOP")
    assert stopped["opted_out_at"]


def test_csv_cell_guard():
    assert [csv_cell(v) for v in ("=1", "+1", "-1", "@a", "a=b", "", None, 5)] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "a=b",
        "",
        "",
        "5",
    ]


def test_contacts_export_streams_in_bounded_memory(client, org_a):
    """20,000 contacts: the peak Python memory while downloading stays far below the size of the file."""
    org = org_a.organization
    # Volume set-up only: 20,000 rows through the service would take minutes; the rows are valid E.164.
    Contact.objects.bulk_create(
        Contact(organization=org, phone=f"+1415{2000000 + i:07d}", first_name=f"First{i}", last_name=f"Last{i}")
        for i in range(20_000)
    )
    client.force_login(org_a.user)
    response = client.get(reverse("contacts-export"))
    size = 0
    lines = 0
    tracemalloc.start()
    try:
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 20_001
    print(f"\ncontacts export: {size:,} bytes for 20,000 contacts, peak traced memory {peak:,} bytes")
    assert peak < size / 3  # one chunk of rows, not the file


def test_another_organizations_conversation_transcript_is_a_404(client, org_a, org_b, conversation_a):
    contact_create(organization=org_b.organization, phone="+14155550177", first_name="Secret")
    client.force_login(org_b.user)
    assert client.get(reverse("inbox-transcript", args=[conversation_a.pk])).status_code == 404
    body = b"".join(client.get(reverse("contacts-export")).streaming_content).decode()
    assert "Secret" in body
    assert "+14155550101" not in body  # organization A's contact


def test_transcript_in_the_viewers_zone(client, org_a):
    for body in ("hello", "=cmd|' /C calc'!A0"):
        message_receive(sms=parse_inbound(inbound_params(to="+14155550001", from_="+14155550101", body=body)))
    user = org_a.user
    user.time_zone = "Asia/Tokyo"
    user.save(update_fields=["time_zone"])
    client.force_login(user)
    from conversations.models import Conversation

    conversation = Conversation.objects.get()
    response = client.get(reverse("inbox-transcript", args=[conversation.pk]))
    assert response.status_code == 200
    rows = _read(response)
    assert rows[0][:3] == ["time", "direction", "from"]
    assert [row[6] for row in rows[1:]] == ["hello", "'=cmd|' /C calc'!A0"]
    assert rows[1][1] == "Inbound"
    assert rows[1][2] == "'+14155550101"
    stamp = timezone.datetime.fromisoformat(rows[1][0])
    assert stamp.utcoffset() == zoneinfo.ZoneInfo("Asia/Tokyo").utcoffset(stamp.replace(tzinfo=None))


def test_links_on_the_contacts_page_and_thread_header(client, org_a, conversation_a):
    client.force_login(org_a.user)
    assert reverse("contacts-export") in client.get(reverse("contacts")).content.decode()
    assert (
        reverse("inbox-transcript", args=[conversation_a.pk])
        in client.get(reverse("inbox-thread", args=[conversation_a.pk])).content.decode()
    )


def test_signed_out_is_sent_to_login(client, org_a):
    assert client.get(reverse("contacts-export")).status_code == 302


def test_contacts_export_has_the_line_type(client, org_a):
    from django.utils import timezone

    from conversations.models import Contact

    contact = contact_create(organization=org_a.organization, phone="+15005550020")
    Contact.objects.filter(pk=contact.pk).update(line_type="landline", line_type_checked_at=timezone.now())
    client.force_login(org_a.user)
    rows = _read(client.get(reverse("contacts-export")))
    row = dict(zip(CONTACT_EXPORT_HEADER, rows[1], strict=True))
    assert row["line_type"] == "landline"
    assert row["line_type_checked_at"].endswith("+00:00")
