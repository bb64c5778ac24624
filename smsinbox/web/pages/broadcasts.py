"""The Broadcasts pages: the list (``/broadcasts/``), compose with a preview before sending (``/broadcasts/new/``),
and a broadcast's report (``/broadcasts/<id>/``: live progress, pause/resume/cancel, per-recipient table, CSV).

For the organization's admins; an agent gets the "ask an admin" page (403). Every form posts and comes back (no
script needed); ``static/js/broadcast.js`` only refreshes the report's progress by polling
``GET /api/broadcasts/{id}/`` until the broadcast ends. Each view parses its input and calls one service.
"""

from __future__ import annotations

import re

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conversations.canned import VARIABLES
from conversations.selectors import label_list
from messaging.broadcasts.models import TERMINAL_STATES, Broadcast, BroadcastRecipient, BroadcastState
from messaging.broadcasts.recipients import csv_numbers
from messaging.broadcasts.selectors import (
    broadcast_get_for_user,
    broadcast_progress,
    broadcast_report_rows,
    broadcasts_for_organization,
)
from messaging.broadcasts.services import (
    broadcast_cancel,
    broadcast_create,
    broadcast_pause,
    broadcast_preview,
    broadcast_resume,
)
from messaging.segments import MAX_BODY_CHARACTERS
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.parsing import ascii_int
from smsinbox.phones import organization_region
from smsinbox.web.pages import found_or_404, posted_moment
from smsinbox.web.pages.exports import csv_response
from smsinbox.web.pages.team import admins_only

LIST_SIZE = 100
REPORT_ROWS = 500
MAX_CSV_BYTES = 5 * 1024 * 1024
SEPARATORS = re.compile(r"[\r\n,;]+")  # not spaces: "+1 415 555 0101" is one number


@require_GET
@admins_only
def broadcasts(request: HttpRequest, organization: Organization) -> HttpResponse:
    rows = [
        (b, broadcast_progress(broadcast=b))
        for b in broadcasts_for_organization(organization_id=organization.pk)[:LIST_SIZE]
    ]
    return render(request, "broadcasts/list.html", {"organization": organization, "rows": rows})


def _numbers(request: HttpRequest, organization: Organization) -> list[str]:
    """The pasted numbers (one a line, or separated by commas), plus an uploaded CSV's phone column."""
    numbers = [n.strip() for n in SEPARATORS.split(request.POST.get("numbers", "")) if n.strip()]
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_CSV_BYTES:
            raise ServiceError("The file is larger than 5 MB; split it.", field="file")
        numbers += csv_numbers(data=upload.read(), region=organization_region(organization.pk))
    return numbers


@require_http_methods(["GET", "POST"])
@admins_only
def broadcast_new(request: HttpRequest, organization: Organization) -> HttpResponse:
    """GET: the form. POST ``action=preview``: the counts, and the Send button (the CSV's numbers carried in the
    numbers box, so the send is what was previewed). POST ``action=send``: queue it, then its report.
    ``start=later`` with ``send_at_local`` (a ``datetime-local`` value, in the viewer's zone): it starts then."""
    labels = label_list(organization=organization)
    context: dict[str, object] = {
        "organization": organization, "labels": labels, "variables": VARIABLES, "max_length": MAX_BODY_CHARACTERS,
        "body": "", "numbers": "", "chosen": set(), "preview": None, "error": "", "later": False, "send_at_local": "",
        "send_at": None, "start_key": "now", "notice": "", "from_id": "",
        "sending_numbers": list(organization.phone_numbers.order_by("id")),
    }  # fmt: skip
    if request.method == "GET":
        return render(request, "broadcasts/new.html", context)
    status = 200
    from_id = request.POST.get("from_number_id", "")
    context["from_id"] = from_id  # kept on the page whatever else is refused
    try:
        numbers = _numbers(request, organization)
        label_ids = [i for i in (ascii_int(v) for v in request.POST.getlist("labels")) if i is not None]
        body = request.POST.get("body", "")
        later, local = request.POST.get("start") == "later", request.POST.get("send_at_local", "")
        context.update(body=body, numbers="\n".join(numbers), chosen=set(label_ids), later=later, send_at_local=local)
        send_at = posted_moment(local, local=True, field="sendAt") if later else None
        if later and send_at is None:
            raise ServiceError("Choose the date and time to start it, or start it now.", field="sendAt")
        start_key = local if later else "now"
        context.update(send_at=send_at, start_key=start_key)
        from_pk = ascii_int(from_id) if from_id else None
        if from_id and from_pk is None:
            raise ServiceError("Choose one of your numbers to send from.", field="fromNumberId")
        sources = {"organization": organization, "user": request.user, "body": body, "label_ids": label_ids,
                   "numbers": numbers, "send_at": send_at,
                   "phone_number_id": from_pk}  # fmt: skip
        previewed, previewed_from = request.POST.get("previewed_start"), request.POST.get("previewed_from")
        if request.POST.get("action") == "send" and previewed is not None and previewed != start_key:
            # The Send button said "Send to N" or "Schedule for N" for the start that was previewed.
            context["notice"] = "The start changed after the preview: check it, then send."
        elif request.POST.get("action") == "send" and previewed_from is not None and previewed_from != from_id:
            context["notice"] = "The number it goes from changed after the preview: check it, then send."
        elif request.POST.get("action") == "send":
            broadcast = broadcast_create(**sources)
            n = broadcast.recipient_count
            flash.success(request, f"Broadcast {'scheduled' if send_at else 'queued'} for {n} "
                                   f"recipient{'' if n == 1 else 's'}.")  # fmt: skip
            return redirect("broadcast-detail", broadcast_id=broadcast.pk)
        context["preview"] = broadcast_preview(**sources)
    except ServiceError as exc:
        context["error"] = exc.message
        status = 400
    return render(request, "broadcasts/new.html", context, status=status)


def _broadcast(request: HttpRequest, organization: Organization, broadcast_id: int) -> Broadcast:
    """The broadcast, when it is the current organization's (whose admin the caller is): else a 404."""
    found = broadcast_get_for_user(user=request.user, broadcast_id=broadcast_id)
    return found_or_404(found if found is not None and found.organization_id == organization.pk else None, "Broadcast")


@require_GET
@admins_only
def broadcast_detail(request: HttpRequest, organization: Organization, broadcast_id: int) -> HttpResponse:
    broadcast = _broadcast(request, organization, broadcast_id)
    recipients = (
        BroadcastRecipient.objects.filter(broadcast=broadcast)
        .select_related("contact", "message")
        .order_by("id")[:REPORT_ROWS]
    )
    progress = broadcast_progress(broadcast=broadcast)
    context = {
        "organization": organization,
        "broadcast": broadcast,
        "progress": progress,
        "done": progress["total"] - progress["queued"],
        "recipients": recipients,
        "report_rows": REPORT_ROWS,
        "live": broadcast.state not in TERMINAL_STATES or progress["sent"] > 0,  # outcomes still coming
        "can_cancel": broadcast.state not in TERMINAL_STATES,
        "can_pause": broadcast.state in (BroadcastState.QUEUED, BroadcastState.SENDING),
        "can_resume": broadcast.state == BroadcastState.PAUSED,
        "several_numbers": organization.phone_numbers.count() > 1,
    }
    return render(request, "broadcasts/detail.html", context)


def _mover(service, done: str):
    @require_POST
    @admins_only
    def view(request: HttpRequest, organization: Organization, broadcast_id: int) -> HttpResponse:
        broadcast = _broadcast(request, organization, broadcast_id)
        try:
            service(broadcast=broadcast, user=request.user)
            flash.success(request, done)
        except ServiceError as exc:
            flash.error(request, exc.message)
        return redirect("broadcast-detail", broadcast_id=broadcast.pk)

    return view


broadcast_pause_view = _mover(broadcast_pause, "Broadcast paused.")
broadcast_resume_view = _mover(broadcast_resume, "Broadcast resumed.")
broadcast_cancel_view = _mover(broadcast_cancel, "Broadcast cancelled.")


@require_GET
@admins_only
def broadcast_export(request: HttpRequest, organization: Organization, broadcast_id: int) -> StreamingHttpResponse:
    broadcast = _broadcast(request, organization, broadcast_id)
    header = [("Number", "Name", "Status", "Reason", "Message status", "Error code", "Handed over at")]
    rows = broadcast_report_rows(broadcast=broadcast)
    return csv_response((row for part in (header, rows) for row in part), f"broadcast-{broadcast.pk}.csv")
