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
- A notes cell fills the notes of a new contact, or of an existing one whose notes are empty: what staff wrote
  is never overwritten. Notes longer than ``CONTACT_NOTES_MAX_LENGTH`` make the row an error.
- A labels cell names the organization's labels (any case), separated by commas, semicolons or ``|``; they are
  added (never removed). A name the organization has no label for is not created (labels are an admin's
  choice): it is reported once in ``ImportReport.unknown_labels``.

``import_batch`` is the one step both the one-call import (``contacts_import_run``) and the background job
(``conversations.import_jobs``) run, a batch of rows at a time.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from phonenumber_field.phonenumber import PhoneNumber

from conversations.models import CONTACT_NOTES_MAX_LENGTH, Contact, ContactAlias, ContactLabel, Label
from smsinbox.audit.services import Action, audit_record
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.phones import InvalidPhoneNumber, parse_phone

IMPORT_MAX_ROWS = 100_000
PREVIEW_ROWS = 20
BATCH = 1000
COLUMNS = ("phone", "first_name", "last_name", "name", "notes", "labels")  # what a file's columns can be mapped to
COLUMN_NAMES = {
    "phone": "Phone number",
    "first_name": "First name",
    "last_name": "Last name",
    "name": "Full name",
    "notes": "Notes",
    "labels": "Labels",
}
HEADER_GUESSES = {
    "phone": {"phone", "number", "phone number", "mobile", "cell", "phone_e164", "telephone", "tel"},
    "first_name": {"first name", "first_name", "firstname", "given name"},
    "last_name": {"last name", "last_name", "lastname", "surname", "family name"},
    "name": {"name", "full name", "full_name", "contact"},
    "notes": {"notes", "note", "comment", "comments"},
    "labels": {"labels", "label", "tags", "tag", "groups"},
}
LABEL_SEPARATORS = re.compile(r"[,;|]")


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
    unknown_labels: list[str] = field(default_factory=list)


@dataclass
class ParsedRow:
    """One non-blank data row: its number (``None`` with ``problem`` saying why) and the cells mapped."""

    row: int
    value: str
    number: PhoneNumber | None
    first: str = ""
    last: str = ""
    notes: str = ""
    labels: tuple[str, ...] = ()
    problem: str = ""


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


def validated_mapping(headers: list[str], mapping: dict[str, int] | None) -> dict[str, int]:
    mapping = guess_mapping(headers) if mapping is None else mapping
    unknown = set(mapping) - set(COLUMNS)
    if unknown:
        raise ServiceError(f"Unknown column {sorted(unknown)[0]!r}.", field="mapping")
    if len(set(mapping.values())) < len(mapping):
        raise ServiceError("Each column of the file can be used once.", field="mapping")
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


def parsed_rows(rows: Iterator[list[str]], mapping: dict[str, int], region: str) -> Iterator[ParsedRow]:
    """Each non-blank data row, its number parsed (or the reason it does not parse); refuses a file over
    ``IMPORT_MAX_ROWS`` rows when it reaches the row past the limit."""
    for index, row in enumerate(rows, start=2):
        if index - 1 > IMPORT_MAX_ROWS:
            raise ServiceError(f"The file has more than {IMPORT_MAX_ROWS:,} rows; split it.", field="file")
        if not any(cell.strip() for cell in row):
            continue
        value = _cell(row, mapping, "phone")
        notes = _cell(row, mapping, "notes")
        labels = tuple(
            dict.fromkeys(
                name.strip() for name in LABEL_SEPARATORS.split(_cell(row, mapping, "labels")) if name.strip()
            )
        )
        try:
            parsed = parse_phone(value, region=region)
        except InvalidPhoneNumber as exc:
            yield ParsedRow(index, value, None, problem=str(exc))
            continue
        if len(notes) > CONTACT_NOTES_MAX_LENGTH:
            yield ParsedRow(
                index, value, None, problem=f"The notes are longer than {CONTACT_NOTES_MAX_LENGTH:,} characters."
            )
            continue
        number = ValidNumber()  # the field's own type: kept as it is, not parsed or validated again
        number.merge_from(parsed)
        first, last = _names(row, mapping)
        yield ParsedRow(index, value, number, first, last, notes, labels)


@dataclass
class _Plan:
    """What one batch will write: new contacts, contacts whose names or notes change, labels (and number) by E.164."""

    new: list[Contact] = field(default_factory=list)
    updates: list[Contact] = field(default_factory=list)
    labels: dict[str, tuple[tuple[str, ...], PhoneNumber]] = field(default_factory=dict)
    results: list[RowResult] = field(default_factory=list)


class ValidNumber(PhoneNumber):
    """A number ``parse_phone`` has validated (strict): the field does not validate it again on every use.

    Saving or filtering by a ``PhoneNumber`` checks ``is_valid()`` each time (libphonenumber's metadata
    walk, ~20 µs); an import touches each number four or five times. The database's E.164 check still applies."""

    def is_valid(self) -> bool:
        return True


# A stored number read as its E.164 text: the field would parse each one back into a ``PhoneNumber``.
AS_TEXT = Cast("phone", output_field=CharField())


def _contact(organization: Organization, number: PhoneNumber, first: str, last: str, notes: str) -> Contact:
    """A contact to write, its number (parsed and validated by ``parsed_rows``) set without parsing it again."""
    contact = Contact(organization=organization, first_name=first, last_name=last, notes=notes)
    contact.__dict__["phone"] = number
    return contact


def _classify(
    batch: list[ParsedRow], organization: Organization, seen: set[str], report: ImportReport, *, lock: bool = False
) -> _Plan:
    """The batch's plan and every row's result (counts added to ``report``). ``lock`` (writing, in the batch's
    transaction): the existing contacts' rows stay locked until it commits, so none is erased or merged away
    between this read and the upsert of its names (which would otherwise insert it again)."""
    numbers = [r.number for r in batch if r.number is not None]
    found = Contact.objects.filter(
        # The parsed numbers themselves: the field formats them without parsing again.
        organization=organization,
        phone__in=numbers,
    ).order_by("pk")  # one lock order for every writer
    if lock:
        found = found.select_for_update()
    existing = {
        str(phone): (first, last, notes)
        for phone, first, last, notes in found.values_list(AS_TEXT, "first_name", "last_name", "notes")
    }
    # Numbers merged into a contact (``ContactAlias``): never a new contact (the database refuses one).
    merged = set(
        ContactAlias.objects.filter(
            organization=organization, phone__in=[r.number.as_e164 for r in batch if r.number is not None]
        ).values_list("phone", flat=True)
    )
    plan = _Plan()
    for r in batch:
        e164 = r.number.as_e164 if r.number is not None else None
        if e164 is None:
            report.errors += 1
            plan.results.append(RowResult(r.row, Outcome.ERROR, r.value, r.problem))
        elif e164 in merged:
            report.duplicates += 1
            plan.results.append(
                RowResult(r.row, Outcome.DUPLICATE, r.value, "The number was merged into another contact.")
            )
        elif e164 in seen:
            report.duplicates += 1
            plan.results.append(
                RowResult(r.row, Outcome.DUPLICATE, r.value, "The number is on an earlier row of the file.")
            )
        else:
            seen.add(e164)
            if r.labels:
                plan.labels[e164] = (r.labels, r.number)
            if e164 in existing:
                stored = existing[e164]
                wanted = (r.first or stored[0], r.last or stored[1], stored[2] or r.notes)
                if wanted != stored:
                    plan.updates.append(_contact(organization, r.number, *wanted))
                report.updated += 1
                plan.results.append(RowResult(r.row, Outcome.UPDATE, r.value))
            else:
                plan.new.append(_contact(organization, r.number, r.first, r.last, r.notes))
                report.created += 1
                plan.results.append(RowResult(r.row, Outcome.CREATE, r.value))
    return plan


def _labels_by_name(organization: Organization) -> dict[str, Label]:
    return {label.name.casefold(): label for label in Label.objects.filter(organization=organization)}


def import_batch(
    *,
    organization: Organization,
    batch: list[ParsedRow],
    seen: set[str],
    report: ImportReport,
    labels: dict[str, Label] | None = None,
) -> list[RowResult]:
    """Write one batch (the caller's transaction): bulk inserts (ON CONFLICT DO NOTHING), bulk name and notes
    updates, labels added. Counts go to ``report``; returns the batch's errors and duplicates.

    ``seen`` holds the numbers of the file's earlier rows (a repeat is a duplicate); ``labels`` the
    organization's labels by case-folded name (read once per import by the caller, or here)."""
    plan = _classify(batch, organization, seen, report, lock=True)
    # A number a colleague saved meanwhile is left as they saved it (counted as created all the same).
    Contact.objects.bulk_create(plan.new, batch_size=BATCH, ignore_conflicts=True)
    if plan.updates:
        # One INSERT … ON CONFLICT DO UPDATE of the names and notes (and ``updated_at``, which ``pre_save`` sets):
        # every other column of the stored contact is left as it is (never its opt-out).
        Contact.objects.bulk_create(
            plan.updates,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["organization", "phone"],
            update_fields=["first_name", "last_name", "notes", "updated_at"],
        )
    if plan.labels:
        known = _labels_by_name(organization) if labels is None else labels
        ids = dict(
            (str(phone), pk)
            for phone, pk in Contact.objects.filter(
                organization=organization, phone__in=[number for _, number in plan.labels.values()]
            ).values_list(AS_TEXT, "pk")
        )
        rows = []
        for e164, (names, _) in plan.labels.items():
            for name in names:
                label = known.get(name.casefold())
                if label is None:
                    if name not in report.unknown_labels:
                        report.unknown_labels.append(name)
                elif e164 in ids:
                    rows.append(ContactLabel(contact_id=ids[e164], label=label))
        ContactLabel.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return [r for r in plan.results if r.outcome in (Outcome.ERROR, Outcome.DUPLICATE)]


def contacts_import_preview(
    *, organization: Organization, data: bytes, mapping: dict[str, int] | None = None, limit: int = PREVIEW_ROWS
) -> ImportReport:
    """What importing the file would do to its first ``limit`` rows (nothing is written)."""
    headers, rows = read_rows(decode_csv(data))
    report = ImportReport(headers=headers, mapping=validated_mapping(headers, mapping))
    batch = []
    for parsed in parsed_rows(rows, report.mapping, organization.region):
        batch.append(parsed)
        if len(batch) == limit:
            break
    plan = _classify(batch, organization, set(), report)
    report.rows = plan.results
    known = _labels_by_name(organization)
    for names in plan.labels.values():
        report.unknown_labels += [n for n in names if n.casefold() not in known and n not in report.unknown_labels]
    return report


@transaction.atomic
def contacts_import_run(
    *, organization: Organization, data: bytes, mapping: dict[str, int] | None = None
) -> ImportReport:
    """Import the whole file in one transaction, in batches of ``BATCH`` rows (``import_batch``).

    All or nothing: a refused file (not UTF-8, too many rows) writes no row. ``report.rows`` holds every error
    and duplicate, for the error report. Opt-out columns are never written. The pages use the background job
    of ``conversations.import_jobs`` instead, which commits each batch and shows its progress.
    """
    headers, rows = read_rows(decode_csv(data))
    report = ImportReport(headers=headers, mapping=validated_mapping(headers, mapping))
    seen: set[str] = set()
    labels = _labels_by_name(organization) if "labels" in report.mapping else {}
    batch: list[ParsedRow] = []
    for parsed in parsed_rows(rows, report.mapping, organization.region):
        batch.append(parsed)
        if len(batch) == BATCH:
            report.rows += import_batch(organization=organization, batch=batch, seen=seen, report=report, labels=labels)
            batch = []
    if batch:
        report.rows += import_batch(organization=organization, batch=batch, seen=seen, report=report, labels=labels)
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
