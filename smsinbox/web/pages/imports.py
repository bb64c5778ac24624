"""Contacts import: upload a CSV, map its columns with a preview of what each row will do, start it, watch it.

Every staff member may import (agents manage contacts); an import only creates contacts, fills names and empty
notes and adds existing labels, never opts anyone in or out (``conversations.imports``). "Check numbers with
Twilio Lookup" runs it with ``messaging``'s task, which flags landlines (``messaging.services.lookups``).
The run itself is a background task (``conversations.import_jobs``); the progress page reads its counts, and its
script polls ``contact-import-status`` once a second until it ends.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from conversations.import_jobs import (
    contact_import_create,
    contact_import_discard,
    contact_import_preview,
    import_progress,
)
from conversations.imports import COLUMN_NAMES, COLUMNS, Outcome
from conversations.models import ContactImport
from conversations.selectors import contact_import_get, contact_import_list
from messaging.services.lookups import contact_import_launch
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.parsing import ascii_int
from smsinbox.tenancy import current_organization
from smsinbox.web.pages import found_or_404
from smsinbox.web.pages.exports import csv_response

OUTCOME_NAMES = {
    Outcome.CREATE: "New contact",
    Outcome.UPDATE: "Updates a contact",
    Outcome.DUPLICATE: "Skipped (duplicate)",
    Outcome.ERROR: "Error",
}


def _organization(request: HttpRequest) -> Organization:
    return found_or_404(current_organization(request), "Organization")


def _job_or_404(request: HttpRequest, import_id: int) -> ContactImport:
    return found_or_404(contact_import_get(organization=_organization(request), import_id=import_id), "Import")


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose a CSV file to import."
        else:
            try:
                job = contact_import_create(
                    organization=organization, actor=request.user, file_name=upload.name or "", data=upload.read()
                )
            except ServiceError as exc:
                error = exc.message
            else:
                return redirect("contact-import", job.pk)
    return render(
        request,
        "contacts/import_upload.html",
        {"organization": organization, "error": error, "imports": contact_import_list(organization=organization)},
        status=400 if error else 200,
    )


def _posted_mapping(request: HttpRequest, headers: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for column in COLUMNS:
        position = ascii_int(request.POST.get(f"map-{column}", ""))
        if position is not None and 0 <= position < len(headers):
            mapping[column] = position
    return mapping


@login_required
@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    job = _job_or_404(request, import_id)
    if job.status != ContactImport.Status.DRAFT:
        return render(
            request,
            "contacts/import_progress.html",
            {"organization": job.organization, "job": job, "progress": import_progress(job)},
        )
    mapping = dict(job.mapping)
    check_line_types = False
    error = ""
    action = request.POST.get("action", "")
    if request.method == "POST":
        if action == "discard":
            contact_import_discard(organization=job.organization, import_id=job.pk)
            flash.success(request, f"Import of {job.file_name} discarded.")
            return redirect("contact-import-upload")
        mapping = _posted_mapping(request, job.headers)
        check_line_types = request.POST.get("check_line_types") == "1"
        if action == "start":
            try:
                contact_import_launch(
                    organization=job.organization, import_id=job.pk, mapping=mapping, check_line_types=check_line_types
                )
            except ServiceError as exc:
                error = exc.message
            else:
                return redirect("contact-import", job.pk)
    try:
        preview = contact_import_preview(job=job, mapping=mapping)
    except ServiceError as exc:
        preview, error = None, error or exc.message
    columns = [{"key": column, "name": COLUMN_NAMES[column], "position": mapping.get(column)} for column in COLUMNS]
    return render(
        request,
        "contacts/import_map.html",
        {
            "organization": job.organization,
            "job": job,
            "columns": columns,
            "headers": list(enumerate(job.headers)),
            "preview": preview,
            "outcome_names": OUTCOME_NAMES,
            "error": error,
            "check_line_types": check_line_types,
        },
        status=400 if error and request.method == "POST" else 200,
    )


@login_required
@require_GET
def import_status(request: HttpRequest, import_id: int) -> JsonResponse:
    return JsonResponse(import_progress(_job_or_404(request, import_id)))


@login_required
@require_GET
def import_errors(request: HttpRequest, import_id: int) -> StreamingHttpResponse:
    """The rows the import skipped or refused: row number (as a spreadsheet shows it), value, outcome, reason."""
    job = _job_or_404(request, import_id)
    rows = [("row", "phone", "outcome", "reason")]
    rows += [
        (row, value, OUTCOME_NAMES.get(outcome, outcome), reason) for row, outcome, value, reason in job.error_rows
    ]
    return csv_response(rows, f"import-{job.pk}-errors.csv")
