"""The Failed page: the organization's failed and undelivered sends, counted per error code, with each
code's meaning and what to do, and "Retry" for many at once (``messages_retry``).

The page works without JavaScript (checkboxes in one form); ``static/js/failed.js`` only adds "select all on
this page". The thread's per-bubble "Retry" posts to ``retry`` too (a form; the inbox's scripts post it for JSON).
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from messaging.error_codes import error_action, error_is_retryable, error_meaning
from messaging.selectors import failed_code_counts, failed_message_page
from messaging.services.retry import messages_retry
from smsinbox.casing import camelize
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.parsing import ascii_int
from smsinbox.tenancy import current_organization, organizations_for_user
from smsinbox.web.pages import found_or_404

PAGE_SIZE = 50


def _organization(request: HttpRequest) -> Organization:
    return found_or_404(current_organization(request), "Organization")


def _code(raw: str) -> int | None:
    """The page's code filter: ``None`` (every code), ``0`` (no code) or a code."""
    return ascii_int(raw, max_value=999_999_999) if raw else None


@login_required
@require_GET
def failed(request: HttpRequest) -> HttpResponse:
    """Three queries however many rows: the counts per code, the page of rows (with contacts), the session's."""
    organization = _organization(request)
    code = _code(request.GET.get("code", ""))
    page = failed_message_page(
        organization=organization, code=code, cursor=request.GET.get("cursor", ""), limit=PAGE_SIZE
    )
    counts = [
        SimpleNamespace(code=c, n=n, meaning=error_meaning(c) if c is not None else "No error code reported.")
        for c, n in failed_code_counts(organization=organization)
    ]
    rows = [
        SimpleNamespace(
            m=m,
            meaning=m.error_message or error_meaning(m.error_code),
            action=error_action(m.error_code),
            retryable=error_is_retryable(m.error_code) and not m.conversation.contact.is_opted_out,
        )
        for m in page.items
    ]
    query = {"code": request.GET.get("code", "")} if code is not None else {}
    context = {
        "organization": organization,
        "organizations": organizations_for_user(request.user),
        "counts": counts,
        "total": sum(c.n for c in counts),
        "code": code,
        "rows": rows,
        "next_url": f"?{urlencode(query | {'cursor': page.next_cursor})}" if page.next_cursor else "",
        "return_to": request.get_full_path(),
    }
    return render(request, "failed/list.html", context)


def _return_to(request: HttpRequest) -> str:
    wanted = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=False)
    return wanted if wanted.startswith("/") and safe else reverse("failed")


@login_required
@require_POST
def retry(request: HttpRequest) -> HttpResponse:
    """Retry the chosen messages (``message_ids``, repeated); back to ``next`` with what happened flashed, or,
    for the inbox's scripts (``Accept: application/json``), the API's answer."""
    organization = _organization(request)
    ids = [ascii_int(raw) for raw in request.POST.getlist("message_ids")]
    wants_json = request.headers.get("Accept") == "application/json"
    try:
        if None in ids:
            raise ServiceError("Choose messages to retry.", field="messageIds")
        result = messages_retry(organization=organization, user=request.user, message_ids=ids)
    except ServiceError as exc:
        if wants_json:
            return JsonResponse({"error": exc.message}, status=400)
        flash.error(request, exc.message)
        return redirect(_return_to(request))
    if wants_json:
        return JsonResponse(
            camelize(
                {
                    "retried": [{"id": r.id, "new_id": r.new_id} for r in result.retried],
                    "skipped": [
                        {"id": s.id, "reason": s.reason, "code": s.code, "message": s.message} for s in result.skipped
                    ],
                }
            )
        )
    if result.retried:
        flash.success(request, f"Retried {len(result.retried)} message{'s' if len(result.retried) != 1 else ''}.")
    for skip in result.skipped:
        code = f" (error {skip.code})" if skip.code is not None else ""
        flash.warning(request, f"Message #{skip.id}{code} skipped: {skip.message}")
    return redirect(_return_to(request))
