"""Canned replies in the inbox: the management page (list, new, edit, delete) and the composer's configuration.

Server-rendered forms, each write one service call (``conversations.canned_services``). The composer's picker
(``static/js/canned.js``) reads the replies from the API, filled in for the open conversation; what it needs to
know (the URLs, the placeholder pattern) is given by ``canned_config``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from conversations.canned import PLACEHOLDER, VARIABLES
from conversations.canned_services import (
    canned_reply_create,
    canned_reply_delete,
    canned_reply_update,
    is_organization_admin,
    may_manage_canned,
)
from conversations.models import CANNED_BODY_MAX_LENGTH, CANNED_NAME_MAX_LENGTH, CANNED_SHORTCUT_MAX_LENGTH
from conversations.selectors import canned_reply_get_for_user, canned_reply_list_for_user
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.tenancy import current_organization
from smsinbox.web.pages import found_or_404


def canned_config(conversation_id: int | None) -> dict[str, Any]:
    """The canned replies' part of the inbox's configuration (snake_case; the caller camelizes it)."""
    urls = {"manage_canned": reverse("canned-replies")}
    if conversation_id is not None:
        urls["canned_replies"] = reverse("api-canned-replies") + f"?conversation={conversation_id}"
    return {"urls": urls, "canned": {"placeholder": PLACEHOLDER.pattern}}


class CannedReplyForm(forms.Form):
    name = forms.CharField(max_length=CANNED_NAME_MAX_LENGTH, label="Name", help_text="What the picker shows.")
    shortcut = forms.CharField(
        max_length=CANNED_SHORTCUT_MAX_LENGTH + 1,
        label="Shortcut",
        help_text="Typed after / in the message box: lower-case letters, digits, - and _ (e.g. hours).",
    )
    body = forms.CharField(
        max_length=CANNED_BODY_MAX_LENGTH,
        strip=False,
        label="Text of the reply",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="{{contact.first_name|there}} fills in the contact's first name, or “there” when it is empty. "
        "[[time]] is a placeholder you type before sending.",
    )
    shared = forms.BooleanField(
        required=False, label="Shared with the whole organization", help_text="Only the organization's admins."
    )


def _organization(request: HttpRequest) -> Organization:
    return found_or_404(current_organization(request), "Organization")


def _context(request: HttpRequest, organization: Organization, **extra: Any) -> dict[str, Any]:
    return {
        "organization": organization,
        "is_admin": is_organization_admin(user=request.user, organization_id=organization.pk),
        "variables": VARIABLES.items(),
        **extra,
    }


def _write(form: CannedReplyForm, write: Any) -> bool:
    """Run the service on the form's values; its refusal becomes an error on the field it names."""
    try:
        write(**form.cleaned_data)
    except ServiceError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def canned_replies(request: HttpRequest) -> HttpResponse:
    """The organization's shared replies and mine, and the form of a new one."""
    organization = _organization(request)
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def create(**values: Any) -> None:
            canned_reply_create(organization=organization, actor=request.user, **values)

        if _write(form, create):
            flash.success(request, f"Reply /{form.cleaned_data['shortcut'].strip().lstrip('/').lower()} saved.")
            return redirect("canned-replies")
    context = _context(request, organization, form=form)
    # What ``may_manage_canned`` says, without a query per row: mine, or any as the organization's admin.
    replies = [
        (reply, context["is_admin"] or reply.owner_id == request.user.pk)
        for reply in canned_reply_list_for_user(user=request.user, organization=organization)
    ]
    return render(request, "canned/list.html", {**context, "replies": replies})


@login_required
@require_http_methods(["GET", "POST"])
def canned_reply_edit(request: HttpRequest, reply_id: int) -> HttpResponse:
    reply = found_or_404(canned_reply_get_for_user(user=request.user, reply_id=reply_id), "Canned reply")
    organization = reply.organization
    initial = {"name": reply.name, "shortcut": reply.shortcut, "body": reply.body, "shared": reply.is_shared}
    form = CannedReplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():

        def update(**values: Any) -> None:
            changed = {name: values[name] for name in form.changed_data if name in values}
            canned_reply_update(reply=reply, actor=request.user, **changed)

        if _write(form, update):
            flash.success(request, f"Reply /{reply.shortcut} saved.")
            return redirect("canned-replies")
    return render(
        request,
        "canned/form.html",
        _context(
            request, organization, form=form, reply=reply, may_manage=may_manage_canned(user=request.user, reply=reply)
        ),
    )


@login_required
@require_POST
def canned_reply_remove(request: HttpRequest, reply_id: int) -> HttpResponse:
    reply = found_or_404(canned_reply_get_for_user(user=request.user, reply_id=reply_id), "Canned reply")
    try:
        canned_reply_delete(reply=reply, actor=request.user)
    except ServiceError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, f"Reply /{reply.shortcut} deleted.")
    return redirect("canned-replies")
