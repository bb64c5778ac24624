"""Contacts from a CSV file: read it (UTF-8, comma or semicolon), map its columns, say what each row
would do, and import it with bulk statements.

Rules, one place each:
- The file is UTF-8, with or without a BOM; anything else is refused with a message saying how to save it.
- Numbers are parsed with ``smsinbox.phones`` (strict, the default region for national numbers); a row whose
  number does not parse is an error reported with its row number and value, never dropped silently.
- A number seen earlier in the file is a duplicate (skipped); a number the organization already has is an
  update of the names the file gives (empty cells keep the stored names).
- Importing never changes opt-out state: new contacts are created opted in as every new contact is, and
  existing contacts' opt-out columns are not written.
- Races with staff adding the same number are settled by the unique constraint
  (``contact_unique_org_phone``): new rows are inserted with ``ignore_conflicts`` (ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import CharField, Value
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from conversations.models import Contact, ContactAlias
from smsinbox.audit.services import Action, audit_record
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.phones import InvalidPhoneNumber, parse_phone

IMPORT_MAX_ROWS = 100_000
PREVIEW_ROWS = 20
BATCH = 1000
COLUMNS = ("phone", "first_name", "last_name", "name")  # what a file's columns can be mapped to
HEADER_GUESSES = {
    "phone": {"phone", "number", "phone number", "mobile", "cell", "phone_e164", "telephone", "tel"},
    "first_name": {"first name", "first_name", "firstname", "given name"},
    "last_name": {"last name", "last_name", "lastname", "surname", "family name"},
    "name": {"name", "full name", "full_name", "contact"},
}


class Outcome:
    CREATE = "create"
    UPDATE = "update"
    DUPLICATE = "duplicate"
    ERROR = "error"


@dataclass
class RowResult:
    row: int  # the file's line number as a spreadsheet shows it (the header is row 1)
    outcome: str
    value: str = ""
    reason: str = ""


@dataclass
class ImportReport:
    headers: list[str]
    mapping: dict[str, int]
    rows: list[RowResult] = field(default_factory=list)  # the preview's rows, or every error of a run
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    errors: int = 0


def decode_csv(data: bytes) -> str:
    """The file's text: UTF-8 with or without a BOM, else a ``ServiceError`` saying how to save it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ServiceError(
            f"The file is not UTF-8 (byte {exc.start + 1} is not valid UTF-8). "
            "Save it as “CSV UTF-8” and upload it again.",
            field="file",
        ) from exc


def read_rows(text: str) -> tuple[list[str], Iterator[list[str]]]:
    """The header and an iterator of the data rows; the delimiter (comma or semicolon) is the one
    the header line has more of (quoted fields are read by the ``csv`` module either way)."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = next(reader, None)
    if not headers or not any(cell.strip() for cell in headers):
        raise ServiceError("The file is empty: the first line must name the columns.", field="file")
    return [cell.strip() for cell in headers], reader


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Each known column's position, guessed from the header's names (``phone`` → the column named "Mobile")."""
    mapping: dict[str, int] = {}
    for position, header in enumerate(headers):
        key = header.strip().lower().replace("-", " ")
        for column, names in HEADER_GUESSES.items():
            if column not in mapping and (key in names or key.replace("_", " ") in names):
                mapping[column] = position
    return mapping


def _validated_mapping(headers: list[str], mapping: dict[str, int] | None) -> dict[str, int]:
    mapping = guess_mapping(headers) if mapping is None else mapping
    unknown = set(mapping) - set(COLUMNS)
    if unknown:
        raise ServiceError(f"Unknown column {sorted(unknown)[0]!r}.", field="mapping")
    if "phone" not in mapping:
        raise ServiceError("Choose the column with the phone numbers.", field="mapping")
    if any(not 0 <= position < len(headers) for position in mapping.values()):
        raise ServiceError("A mapped column is not in the file.", field="mapping")
    return mapping


def _cell(row: list[str], mapping: dict[str, int], column: str) -> str:
    position = mapping.get(column)
    return row[position].strip() if position is not None and position < len(row) else ""


def _names(row: list[str], mapping: dict[str, int]) -> tuple[str, str]:
    first, last = _cell(row, mapping, "first_name"), _cell(row, mapping, "last_name")
    if not (first or last) and (full := _cell(row, mapping, "name")):
        first, _, last = full.partition(" ")
    return first[:100], last.strip()[:100]


def _parsed(
    rows: Iterator[list[str]], mapping: dict[str, int], region: str
) -> Iterator[tuple[int, str, PhoneNumber | None, str, str]]:
    """(row number, value, number or None with the reason in place of the names) per non-blank data row."""
    for index, row in enumerate(rows, start=2):
        if index - 1 > IMPORT_MAX_ROWS:
            raise ServiceError(f"The file has more than {IMPORT_MAX_ROWS:,} rows; split it.", field="file")
        if not any(cell.strip() for cell in row):
            continue
        value = _cell(row, mapping, "phone")
        try:
            parsed = parse_phone(value, region=region)
        except InvalidPhoneNumber as exc:
            yield index, value, None, str(exc), ""
            continue
        number = PhoneNumber()  # the field's own type: kept as it is, not parsed again
        number.merge_from(parsed)
        yield index, value, number, *_names(row, mapping)


def _classify(
    batch: list[tuple[int, str, PhoneNumber | None, str, str]],
    organization: Organization,
    seen: set[str],
    report: ImportReport,
) -> tuple[list[Contact], dict[str, tuple[str, str]], list[RowResult]]:
    """The batch's new contacts, the updates by E.164, and every row's result (counts added to ``report``)."""
    existing = dict(
        (str(phone), (first, last))
        for phone, first, last in Contact.objects.filter(
            # Values as text expressions: the field would parse and validate each number again (~0.2 ms each).
            organization=organization,
            phone__in=[Value(n.as_e164, output_field=CharField()) for _, _, n, _, _ in batch if n is not None],
        ).values_list("phone", "first_name", "last_name")
    )
    # Numbers merged into a contact (``ContactAlias``): never a new contact (the database refuses one).
    merged = set(
        ContactAlias.objects.filter(
            organization=organization, phone__in=[n.as_e164 for _, _, n, _, _ in batch if n is not None]
        ).values_list("phone", flat=True)
    )
    new: list[Contact] = []
    updates: dict[str, tuple[str, str]] = {}
    results: list[RowResult] = []
    for row, value, number, first, last in batch:
        e164 = number.as_e164 if number is not None else None
        if e164 is None:
            report.errors += 1
            results.append(RowResult(row, Outcome.ERROR, value, first))
        elif e164 in merged:
            report.duplicates += 1
            results.append(RowResult(row, Outcome.DUPLICATE, value, "The number was merged into another contact."))
        elif e164 in seen:
            report.duplicates += 1
            results.append(RowResult(row, Outcome.DUPLICATE, value, "The number is on an earlier row of the file."))
        else:
            seen.add(e164)
            if e164 in existing:
                stored = existing[e164]
                wanted = (first or stored[0], last or stored[1])
                if wanted != stored:
                    updates[e164] = wanted
                report.updated += 1
                results.append(RowResult(row, Outcome.UPDATE, value))
            else:
                contact = Contact(organization=organization, first_name=first, last_name=last)
                # The number, validated above, goes in as E.164 text: the field would validate it twice more
                # (~0.25 ms a row, half the import's time). The database's E.164 check still applies.
                contact.__dict__["phone"] = Value(e164, output_field=CharField())
                new.append(contact)
                report.created += 1
                results.append(RowResult(row, Outcome.CREATE, value))
    return new, updates, results


def contacts_import_preview(
    *, organization: Organization, data: bytes, mapping: dict[str, int] | None = None, limit: int = PREVIEW_ROWS
) -> ImportReport:
    """What importing the file would do to its first ``limit`` rows (nothing is written)."""
    headers, rows = read_rows(decode_csv(data))
    report = ImportReport(headers=headers, mapping=_validated_mapping(headers, mapping))
    batch = []
    for parsed in _parsed(rows, report.mapping, organization.region):
        batch.append(parsed)
        if len(batch) == limit:
            break
    _, _, report.rows = _classify(batch, organization, set(), report)
    return report


@transaction.atomic
def contacts_import_run(
    *, organization: Organization, data: bytes, mapping: dict[str, int] | None = None
) -> ImportReport:
    """Import the file in batches of ``BATCH`` rows: bulk inserts (ON CONFLICT DO NOTHING) and bulk name updates.

    All or nothing (one transaction): a refused file (not UTF-8, too many rows) writes no row. ``report.rows``
    holds every error and duplicate, for the error report. Opt-out columns are never written.
    """
    headers, rows = read_rows(decode_csv(data))
    report = ImportReport(headers=headers, mapping=_validated_mapping(headers, mapping))
    seen: set[str] = set()
    batch: list[tuple[int, str, PhoneNumber | None, str, str]] = []

    def flush() -> None:
        new, updates, results = _classify(batch, organization, seen, report)
        # A number a colleague saved meanwhile is left as they saved it (counted as created all the same).
        Contact.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
        if updates:
            now = timezone.now()
            changed = list(
                Contact.objects.filter(
                    organization=organization, phone__in=[Value(e164, output_field=CharField()) for e164 in updates]
                )
            )
            for contact in changed:
                contact.first_name, contact.last_name = updates[str(contact.phone)]
                contact.updated_at = now  # bulk_update does not apply auto_now
            Contact.objects.bulk_update(changed, ["first_name", "last_name", "updated_at"], batch_size=BATCH)
        report.rows.extend(r for r in results if r.outcome in (Outcome.ERROR, Outcome.DUPLICATE))
        batch.clear()

    for parsed in _parsed(rows, report.mapping, organization.region):
        batch.append(parsed)
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    audit_record(
        organization=organization,
        action=Action.CONTACTS_IMPORTED,
        label="contacts",
        changes={
            "created": report.created,
            "updated": report.updated,
            "duplicates": report.duplicates,
            "errors": report.errors,
        },
    )
    return report
