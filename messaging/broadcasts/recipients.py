"""Who a broadcast is for: its sources (labels, contact ids, pasted numbers, a CSV file) resolved to contacts.

Set-based: a few queries whatever the size (contacts by label, by id, by number in chunks), never one per person.
Counting (``RecipientPlan``), each chosen entry is exactly one of:

- a **recipient** (a contact, or a valid number no contact has yet — one is created when the broadcast is queued);
- **invalid** (a pasted or uploaded entry that is not a phone number);
- a **duplicate** (a contact or number chosen already, by this source or another: counted once);
- **opted out** (the contact unsubscribed) or a **landline** (``landline_contact_ids``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q

from conversations.imports import decode_csv, parsed_rows, read_rows, validated_mapping
from conversations.models import Contact, ContactLabel, Label
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.phones import InvalidPhoneNumber, organization_region, to_e164

MAX_SOURCE_ENTRIES = 50_000
CHUNK = 2_000


@dataclass
class RecipientPlan:
    """The outcome of resolving a broadcast's sources (see the module docstring)."""

    contact_ids: list[int] = field(default_factory=list)  # to text, in the order chosen
    new_numbers: list[str] = field(default_factory=list)  # valid E.164 numbers without a contact yet
    opted_out: list[tuple[int, str]] = field(default_factory=list)  # (contact id, number)
    landline: list[tuple[int, str]] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (text given, why)
    duplicates: int = 0

    @property
    def recipients(self) -> int:
        return len(self.contact_ids) + len(self.new_numbers)


def landline_contact_ids(*, organization: Organization, contact_ids: Iterable[int]) -> set[int]:
    """The ids among ``contact_ids`` whose line Twilio Lookup said is a landline (``Contact.line_type``, set by
    ``contact_line_type_check``): they cannot receive texts, so a broadcast excludes them (``landline``)."""
    ids = list(contact_ids)
    found: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        found.update(
            Contact.objects.filter(
                organization=organization, pk__in=ids[i : i + CHUNK], line_type=Contact.LineType.LANDLINE
            ).values_list("pk", flat=True)
        )
    return found


def csv_numbers(*, data: bytes, region: str) -> list[str]:
    """The phone column of an uploaded CSV (the contact import's parsing: its header guess and phone parsing);
    a row whose number does not parse comes back as written, to be counted invalid."""
    headers, rows = read_rows(decode_csv(data))
    mapping = validated_mapping(headers, None)
    return [row.value for row in parsed_rows(rows, mapping, region)]


def recipients_resolve(
    *,
    organization: Organization,
    label_ids: Sequence[int] = (),
    contact_ids: Sequence[int] = (),
    numbers: Sequence[str] = (),
    csv_data: bytes | None = None,
) -> RecipientPlan:
    """Resolve the sources to a ``RecipientPlan``. An unknown label or contact id (or another organization's)
    is a 400 naming it; nothing chosen at all is a 400."""
    region = organization_region(organization.pk)
    pasted = list(numbers) + (csv_numbers(data=csv_data, region=region) if csv_data is not None else [])
    if len(label_ids) + len(contact_ids) + len(pasted) > MAX_SOURCE_ENTRIES:
        raise ServiceError(f"Choose at most {MAX_SOURCE_ENTRIES:,} recipients at a time.", field="numbers")
    labels = set(Label.objects.filter(organization=organization, pk__in=set(label_ids)).values_list("pk", flat=True))
    if missing := [i for i in label_ids if i not in labels]:
        raise ServiceError(f"Label {missing[0]} not found.", field="labels")
    plan = RecipientPlan()
    chosen: list[int] = []  # contact ids in order, repeats included
    for i in range(0, len(contact_ids), CHUNK):
        chunk = set(contact_ids[i : i + CHUNK])
        found = set(Contact.objects.filter(organization=organization, pk__in=chunk).values_list("pk", flat=True))
        if missing := sorted(chunk - found):
            raise ServiceError(f"Contact {missing[0]} not found.", field="contactIds")
    chosen.extend(contact_ids)
    if labels:
        chosen.extend(
            ContactLabel.objects.filter(label_id__in=labels, contact__organization=organization)
            .order_by("contact_id")
            .values_list("contact_id", flat=True)
        )
    valid_numbers: list[str] = []
    for text in pasted:
        try:
            valid_numbers.append(to_e164(text, region=region))
        except InvalidPhoneNumber as exc:
            plan.invalid.append((str(text)[:64], str(exc)[:200]))
    by_number: dict[str, int] = {}
    unique_numbers = list(dict.fromkeys(valid_numbers))
    for i in range(0, len(unique_numbers), CHUNK):
        rows = Contact.objects.filter(organization=organization, phone__in=unique_numbers[i : i + CHUNK])
        by_number.update((str(phone), pk) for pk, phone in rows.values_list("pk", "phone"))
    seen_numbers: set[str] = set()
    for number in valid_numbers:
        if number in by_number:
            chosen.append(by_number[number])
        elif number in seen_numbers:
            plan.duplicates += 1
        else:
            seen_numbers.add(number)
            plan.new_numbers.append(number)
    if not chosen and not valid_numbers and not plan.invalid:
        raise ServiceError("Choose who receives it: labels, contacts or numbers.", field="numbers")
    unique = list(dict.fromkeys(chosen))
    plan.duplicates += len(chosen) - len(unique)
    _split_unreachable(organization, unique, plan)
    return plan


def _split_unreachable(organization: Organization, unique: list[int], plan: RecipientPlan) -> None:
    opted: dict[int, str] = {}
    numbers: dict[int, str] = {}
    for i in range(0, len(unique), CHUNK):
        rows = Contact.objects.filter(organization=organization, pk__in=unique[i : i + CHUNK]).values_list(
            "pk", "phone", "opted_out_at"
        )
        for pk, phone, opted_out_at in rows:
            numbers[pk] = str(phone)
            if opted_out_at is not None:
                opted[pk] = str(phone)
    landline = landline_contact_ids(organization=organization, contact_ids=[pk for pk in unique if pk not in opted])
    for pk in unique:
        if pk in opted:
            plan.opted_out.append((pk, opted[pk]))
        elif pk in landline:
            plan.landline.append((pk, numbers[pk]))
        else:
            plan.contact_ids.append(pk)


def contact_numbers(*, contact_ids: Sequence[int]) -> dict[int, str]:
    """Each contact's E.164 number."""
    found: dict[int, str] = {}
    for i in range(0, len(contact_ids), CHUNK):
        rows = Contact.objects.filter(Q(pk__in=contact_ids[i : i + CHUNK])).values_list("pk", "phone")
        found.update((pk, str(phone)) for pk, phone in rows)
    return found
