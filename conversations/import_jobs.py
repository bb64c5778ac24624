"""Contact imports run in the background: upload, map, preview, start, then batches committed one by one.

The row rules (encodings, numbers, duplicates, notes, labels, opt-out never written) are
``conversations.imports``'; this module is the job around them (``ContactImport``, its state machine in the
model's docstring):

- ``contact_import_create`` keeps the uploaded file as a ``draft`` after reading its header and counting its
  rows (a file refused here — not UTF-8, over ``IMPORT_MAX_ROWS`` rows or ``IMPORT_FILE_MAX_BYTES`` — leaves no
  row).
- ``contact_import_start`` moves a draft to ``queued`` and enqueues ``contact_import_task`` in the same
  transaction (django-tasks' database backend: the task row commits with the state, or neither does).
- ``contact_import_process`` (the task) commits one batch of ``BATCH`` rows per transaction, under the job's
  row lock, with the job's counts and ``position``. A batch whose rows are at or before ``position`` was
  committed by an earlier run (a killed worker, a task run twice): it is skipped, its numbers remembered as
  seen, so a resumed import never writes a row twice nor counts it twice.
- ``after_batch`` (the optional Twilio Lookup check of ``messaging.tasks``) is called with the numbers a batch
  created or updated, after that batch commits and outside any transaction (a network call holds no lock). A
  worker killed between a commit and its check leaves that batch's numbers unchecked: checks are not resumed.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from conversations.imports import (
    BATCH,
    IMPORT_MAX_ROWS,
    ImportReport,
    ParsedRow,
    _labels_by_name,
    contacts_import_preview,
    decode_csv,
    guess_mapping,
    import_batch,
    parsed_rows,
    read_rows,
    validated_mapping,
)
from conversations.models import IMPORT_FILE_MAX_BYTES, ContactImport
from smsinbox.audit.services import Action, audit_record
from smsinbox.errors import ServiceError
from smsinbox.models import Organization

logger = logging.getLogger(__name__)

Status = ContactImport.Status


def _count_rows(text: str) -> int:
    _, rows = read_rows(text)
    count = 0
    for index, row in enumerate(rows, start=2):
        if index - 1 > IMPORT_MAX_ROWS:
            raise ServiceError(f"The file has more than {IMPORT_MAX_ROWS:,} rows; split it.", field="file")
        if any(cell.strip() for cell in row):
            count += 1
    if not count:
        raise ServiceError("The file has a header but no rows of contacts.", field="file")
    return count


@transaction.atomic
def contact_import_create(
    *, organization: Organization, actor: AbstractBaseUser | None, file_name: str, data: bytes
) -> ContactImport:
    """Keep an uploaded file as a draft import, its columns guessed from the header."""
    if len(data) > IMPORT_FILE_MAX_BYTES:
        raise ServiceError(
            f"The file is {len(data) / 1e6:.1f} MB; the most is {IMPORT_FILE_MAX_BYTES // 2**20} MB. Split it.",
            field="file",
        )
    text = decode_csv(data)
    try:
        headers, _ = read_rows(text)
        total = _count_rows(text)
    except csv.Error as exc:
        raise ServiceError(f"The file is not a CSV file the importer can read ({exc}).", field="file") from exc
    return ContactImport.objects.create(
        organization=organization,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        file_name=(file_name or "contacts.csv")[:255],
        data=data,
        headers=headers,
        mapping=guess_mapping(headers),
        total_rows=total,
    )


def contact_import_preview(*, job: ContactImport, mapping: dict[str, int]) -> ImportReport:
    """What the import would do to the file's first rows with this mapping (nothing is written)."""
    return contacts_import_preview(organization=job.organization, data=bytes(job.data), mapping=mapping)


@transaction.atomic
def contact_import_start(
    *,
    organization: Organization,
    import_id: int,
    mapping: dict[str, int],
    check_line_types: bool = False,
    task: Any = None,
) -> ContactImport:
    """Start a draft with this mapping: ``queued``, and its task enqueued in the same transaction.

    ``task``: the task that runs it (default ``contact_import_task``; the messaging layer passes its own, which
    checks the numbers with Twilio Lookup when ``check_line_types``)."""
    from conversations.tasks import contact_import_task

    job = ContactImport.objects.filter(organization=organization, pk=import_id).first()
    if job is None:
        raise ServiceError.not_found("import")
    mapping = validated_mapping(job.headers, mapping)
    moved = ContactImport.objects.filter(pk=job.pk, status=Status.DRAFT).update(
        status=Status.QUEUED, mapping=mapping, check_line_types=check_line_types
    )
    if not moved:
        raise ServiceError("This import has already started.", code="conflict")
    (task or contact_import_task).enqueue(job.pk)
    job.refresh_from_db()
    logger.info("contact import %s queued: %s rows (org %s)", job.pk, job.total_rows, organization.pk)
    return job


@transaction.atomic
def contact_import_discard(*, organization: Organization, import_id: int) -> bool:
    """Delete a draft (its file with it); a started import stays (its report is the record of what it did)."""
    deleted, _ = ContactImport.objects.filter(organization=organization, pk=import_id, status=Status.DRAFT).delete()
    return bool(deleted)


def _commit_batch(job_id: int, batch: list[ParsedRow], seen: set[str], labels: dict) -> list[str]:
    """One batch with the job's counts and position, in one transaction under the job's row lock; the numbers
    it created or updated."""
    with transaction.atomic():
        job = ContactImport.objects.select_for_update().get(pk=job_id)
        if batch[-1].row <= job.position:  # committed by an earlier run of this import
            seen.update(r.number.as_e164 for r in batch if r.number is not None)
            return []
        report = ImportReport(headers=job.headers, mapping=job.mapping, unknown_labels=list(job.unknown_labels))
        results = import_batch(organization=job.organization, batch=batch, seen=seen, report=report, labels=labels)
        ContactImport.objects.filter(pk=job.pk).update(
            position=batch[-1].row,
            processed_rows=job.processed_rows + len(batch),
            created=job.created + report.created,
            updated=job.updated + report.updated,
            duplicates=job.duplicates + report.duplicates,
            errors=job.errors + report.errors,
            error_rows=job.error_rows + [[r.row, r.outcome, r.value, r.reason] for r in results],
            unknown_labels=report.unknown_labels,
        )
    refused = {r.row for r in results}
    return [r.number.as_e164 for r in batch if r.number is not None and r.row not in refused]


def contact_import_process(*, import_id: int, after_batch: Callable[[int, list[str]], None] | None = None) -> str:
    """Run (or resume) a started import to its end; the task's body. Not one transaction: one per batch."""
    claimed = ContactImport.objects.filter(pk=import_id, status__in=[Status.QUEUED, Status.RUNNING]).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "nothing to do"
    job = ContactImport.objects.select_related("organization").get(pk=import_id)
    organization = job.organization
    try:
        _, rows = read_rows(decode_csv(bytes(job.data)))
        labels = _labels_by_name(organization) if "labels" in job.mapping else {}
        seen: set[str] = set()
        batch: list[ParsedRow] = []
        for parsed in parsed_rows(rows, job.mapping, organization.region):
            if parsed.row <= job.position:  # committed before a restart: only remembered
                if parsed.number is not None:
                    seen.add(parsed.number.as_e164)
                continue
            batch.append(parsed)
            if len(batch) == BATCH:
                _after(after_batch, job.pk, _commit_batch(job.pk, batch, seen, labels))
                batch = []
        if batch:
            _after(after_batch, job.pk, _commit_batch(job.pk, batch, seen, labels))
    except ServiceError as exc:
        ContactImport.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=Status.FAILED, failure=exc.message[:500], finished_at=timezone.now()
        )
        logger.warning("contact import %s failed: %s", job.pk, exc.message)
        return "failed"
    # The file is not kept once imported (personal data with no further use; an erased contact's number must
    # not stay in it). The error report keeps only the refused and duplicate rows' values. Done and its audit
    # entry commit together.
    with transaction.atomic():
        ContactImport.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=Status.DONE, finished_at=timezone.now(), data=b""
        )
        job.refresh_from_db()
        audit_record(
            organization=organization,
            action=Action.CONTACTS_IMPORTED,
            actor=job.created_by_id,
            label=job.file_name,
            changes={
                "created": job.created,
                "updated": job.updated,
                "duplicates": job.duplicates,
                "errors": job.errors,
            },
        )
    logger.info(
        "contact import %s done: %s created, %s updated, %s duplicates, %s errors",
        job.pk, job.created, job.updated, job.duplicates, job.errors,
    )  # fmt: skip
    return "done"


def _after(after_batch: Callable[[int, list[str]], None] | None, job_id: int, numbers: list[str]) -> None:
    if after_batch is not None and numbers:
        after_batch(job_id, numbers)


def import_progress(job: ContactImport) -> dict[str, object]:
    """The job's state as the progress page and its poll read it (one shape for both)."""
    return {
        "id": job.pk,
        "status": job.status,
        "statusLabel": job.get_status_display(),
        "total": job.total_rows,
        "processed": job.processed_rows,
        "percent": job.percent,
        "created": job.created,
        "updated": job.updated,
        "duplicates": job.duplicates,
        "errors": job.errors,
        "unknownLabels": job.unknown_labels,
        "checkLineTypes": job.check_line_types,
        "landlines": job.landlines,
        "failure": job.failure,
        "finished": job.status in (Status.DONE, Status.FAILED),
    }
