"""Contacts: list and search, create and edit, start a conversation, check the number's line type."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from conversations.models import Contact
from conversations.selectors import SEARCH_MAX_LENGTH, contact_get_for_user, contact_list, label_list
from conversations.services import contact_create, contact_update, conversation_start
from messaging.services.lookups import contact_line_type_check
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.tenancy import current_organization
from smsinbox.web.pages import NUL_IN_SEARCH, found_or_404


class ContactForm(forms.Form):
    first_name = forms.CharField(max_length=100, required=False, label="First name")
    last_name = forms.CharField(max_length=100, required=False, label="Last name")
    phone = forms.CharField(
        max_length=40, label="Phone number", help_text="Any common format: (415) 555-0101 or +44 7911 123456."
    )


def _organization(request: HttpRequest) -> Organization:
    return found_or_404(current_organization(request), "Organization")  # a member of none


def _contact_or_404(request: HttpRequest, contact_id: int) -> Contact:
    return found_or_404(
        contact_get_for_user(user=request.user, organization=_organization(request), contact_id=contact_id), "Contact"
    )


@login_required
def contacts(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    q = request.GET.get("q", "")[:SEARCH_MAX_LENGTH]
    if "\x00" in q:
        return HttpResponseBadRequest(NUL_IN_SEARCH)
    page = Paginator(contact_list(organization=organization, q=q).prefetch_related("conversations"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "contacts/list.html", {"organization": organization, "page": page, "q": q})


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    form = ContactForm(request.POST or None, initial={"phone": request.GET.get("phone", "")})
    if request.method == "POST" and form.is_valid():
        try:
            contact = contact_create(organization=organization, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            flash.success(request, f"Contact saved: {contact.display_name}.")
            return redirect("contact-edit", contact.pk)
    return render(request, "contacts/form.html", {"form": form, "contact": None, "organization": organization})


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact_or_404(request, contact_id)
    # The number as people read it everywhere else (it parses back to the same E.164).
    initial = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phone": contact.display_name_number,
    }
    form = ContactForm(request.POST or None, initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            contact_update(contact=contact, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            saved = True
            form = ContactForm(initial={**initial, **form.cleaned_data, "phone": contact.display_name_number})
    return render(
        request,
        "contacts/form.html",
        {
            "form": form,
            "contact": contact,
            "saved": saved,
            "organization": contact.organization,
            "all_labels": label_list(organization=contact.organization),
        },
    )


@login_required
@require_POST
def contact_message(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Start (or open) the conversation with this contact."""
    contact = _contact_or_404(request, contact_id)
    try:
        conversation = conversation_start(organization=contact.organization, contact=contact)
    except ServiceError as exc:
        flash.error(request, exc.message)
        return redirect("contact-edit", contact.pk)
    return redirect("inbox-thread", conversation.pk)


@login_required
@require_POST
def contact_line_type(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Ask Twilio Lookup whether the number is a mobile, a landline, … and show the answer on the contact."""
    contact = _contact_or_404(request, contact_id)
    try:
        contact = contact_line_type_check(organization=contact.organization, contact_id=contact.pk, actor=request.user)
    except ServiceError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, f"Twilio Lookup: {contact.get_line_type_display()}.")
    return redirect("contact-edit", contact.pk)
