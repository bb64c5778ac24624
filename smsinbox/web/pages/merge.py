"""The contact page's "Merge into…" and "Erase…": each a confirmation page that says what will happen.

Merge: pick the contact to keep by search, see what moves, confirm (any member). Erase: see what goes,
type the number or the word ERASE, confirm (the organization's admins only; others are told so).
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from conversations.canned_services import is_organization_admin
from conversations.merge import contact_history_counts, contact_merge
from conversations.models import Contact
from conversations.selectors import SEARCH_MAX_LENGTH, contact_get_for_user, contact_list
from messaging.services.erase import contact_erase
from smsinbox.errors import ServiceError
from smsinbox.parsing import ascii_int
from smsinbox.phones import InvalidPhoneNumber, to_e164
from smsinbox.tenancy import current_organization
from smsinbox.web.pages import NUL_IN_SEARCH, found_or_404

ERASE_WORD = "ERASE"
PICK_LIMIT = 20


def _contact_or_404(request: HttpRequest, contact_id: int) -> Contact:
    organization = found_or_404(current_organization(request), "Organization")
    return found_or_404(
        contact_get_for_user(user=request.user, organization=organization, contact_id=contact_id), "Contact"
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_merge_page(request: HttpRequest, contact_id: int) -> HttpResponse:
    """GET ``?q=``: find the contact to keep; GET ``?into=``: what the merge will do; POST ``into``: merge."""
    contact = _contact_or_404(request, contact_id)
    organization = contact.organization
    source = request.POST if request.method == "POST" else request.GET
    into_id = ascii_int(source.get("into", ""))
    kept = None
    if into_id is not None:
        kept = contact_get_for_user(user=request.user, organization=organization, contact_id=into_id)
    error = ""
    if request.method == "POST":
        if kept is None:
            error = "Choose the contact to keep."
        else:
            try:
                kept = contact_merge(organization=organization, user=request.user, keep=kept, merge=contact)
            except ServiceError as exc:
                error = exc.message
            else:
                flash.success(request, f"Merged {contact.display_name_number} into {kept.display_name}.")
                return redirect("contact-edit", kept.pk)
    q = request.GET.get("q", "")[:SEARCH_MAX_LENGTH]
    if "\x00" in q:
        return HttpResponseBadRequest(NUL_IN_SEARCH)
    found = []
    if q.strip() and kept is None:
        found = list(contact_list(organization=organization, q=q).exclude(pk=contact.pk)[:PICK_LIMIT])
    context = {
        "contact": contact,
        "kept": kept,
        "q": q,
        "found": found,
        "error": error,
        "moves": contact_history_counts(contact) if kept is not None else [],
    }
    return render(request, "contacts/merge.html", context, status=400 if error else 200)


def erase_confirmed(typed: str, *, contact: Contact) -> bool:
    """The person typed the word ERASE (any case) or the contact's number (any common format)."""
    text = typed.strip()
    if text.upper() == ERASE_WORD:
        return True
    try:
        return bool(text) and to_e164(text, region=contact.organization.region) == str(contact.phone)
    except InvalidPhoneNumber:
        return False


@login_required
@require_http_methods(["GET", "POST"])
def contact_erase_page(request: HttpRequest, contact_id: int) -> HttpResponse:
    """GET: what erasing will delete, and the confirmation; POST ``confirm``: erase (admins only)."""
    contact = _contact_or_404(request, contact_id)
    is_admin = is_organization_admin(user=request.user, organization_id=contact.organization_id)
    error = ""
    if request.method == "POST":
        if not is_admin:
            error = "Only the organization's admins can erase a contact."
        elif not erase_confirmed(request.POST.get("confirm", ""), contact=contact):
            error = f"Type the contact's number or the word {ERASE_WORD} to confirm."
        else:
            name = contact.display_name
            try:
                contact_erase(organization=contact.organization, user=request.user, contact=contact)
            except ServiceError as exc:
                error = exc.message
            else:
                flash.success(request, f"{name} was erased. Twilio's copies of the texts are being deleted.")
                return redirect("contacts")
    context = {
        "contact": contact,
        "is_admin": is_admin,
        "error": error,
        "erase_word": ERASE_WORD,
        "goes": contact_history_counts(contact),
        "numbers": [contact.display_name_number, *(a.display_number for a in contact.aliases.all())],
    }
    status = 403 if request.method == "POST" and not is_admin else 400 if error else 200
    return render(request, "contacts/erase.html", context, status=status)
