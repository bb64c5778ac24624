"""The Team page (``/team/``) and the invitation link (``/invite/<token>/``).

The Team page is for the organization's admins (``smsinbox.team.roles``): members with their role and last
login, pending invitations; invite, resend, revoke, change a role, deactivate a member. An agent gets a page
(403) naming the admins to ask, as on the Integrations page. Every form posts and comes back (no script
needed); each view parses its input and calls one service, whose refusals are shown (403 when forbidden).

The invitation link is public: whoever holds it may create the invited account (or, signed in, join with
their own). A used, expired, revoked or unknown link answers a page saying so (410 / 404), never an error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from conversations.auto_assign import organization_auto_assign_update
from conversations.team import member_deactivate
from smsinbox.errors import ServiceError
from smsinbox.models import Membership, Organization, User
from smsinbox.parsing import ascii_int
from smsinbox.team.roles import FORBIDDEN, is_organization_admin
from smsinbox.team.selectors import (
    invite_get_for_admin,
    invites_pending,
    membership_get_for_admin,
    organization_admin_names,
    team_members,
)
from smsinbox.team.services import (
    invite_accept,
    invite_create,
    invite_find,
    invite_problem,
    invite_resend,
    invite_revoke,
    membership_role_change,
)
from smsinbox.tenancy import SESSION_KEY, current_organization
from smsinbox.web.pages import found_or_404

ROLE_CHOICES = Membership.Role.choices


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, help_text="They get a link to set their password, valid a few days.")
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Membership.Role.AGENT)


class AccountForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="What you log in with.")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


def _refused(request: HttpRequest, organization: Organization) -> HttpResponse:
    admins = organization_admin_names(organization=organization)
    return render(request, "team/admins_only.html", {"organization": organization, "admins": admins}, status=403)


def admins_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, an admin of the organization being looked at (else the "ask an admin" page, 403)."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = found_or_404(current_organization(request), "Organization")
        if not is_organization_admin(user=request.user, organization_id=organization.pk):
            return _refused(request, organization)
        try:
            return view(request, organization, *args, **kwargs)
        except ServiceError as exc:
            if exc.code == FORBIDDEN:
                return _refused(request, organization)
            flash.error(request, exc.message)
            return redirect("team")

    return wrapped


def _link_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_http_methods(["GET", "POST"])
@admins_only
def team(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The page; a POST invites someone."""
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invite = invite_create(
                organization=organization, actor=request.user, link_base=_link_base(request), **form.cleaned_data
            )
        except ServiceError as exc:
            if exc.code == FORBIDDEN:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            flash.success(request, f"Invitation sent to {invite.email}.")
            return redirect("team")
    members = list(team_members(organization=organization))
    context = {
        "organization": organization,
        "members": members,
        "invites": invites_pending(organization=organization),
        "form": form,
        "roles": ROLE_CHOICES,
        "admin_count": sum(1 for m in members if m.role == Membership.Role.ADMIN),
    }
    return render(request, "team/page.html", context, status=400 if request.method == "POST" else 200)


@require_POST
@admins_only
def invite_action(request: HttpRequest, organization: Organization, invite_id: int, action: str) -> HttpResponse:
    """Resend (a new link; the old one stops working) or revoke an invitation."""
    invite = found_or_404(invite_get_for_admin(user=request.user, invite_id=invite_id), "Invitation")
    if action == "resend":
        invite_resend(invite=invite, actor=request.user, link_base=_link_base(request))
        flash.success(request, f"A new invitation link was sent to {invite.email}; the previous one no longer works.")
    else:  # "revoke" (the routes name no other action)
        invite_revoke(invite=invite, actor=request.user)
        flash.success(request, f"Invitation to {invite.email} revoked.")
    return redirect("team")


@require_POST
@admins_only
def member_role(request: HttpRequest, organization: Organization, member_id: int) -> HttpResponse:
    membership = found_or_404(membership_get_for_admin(user=request.user, membership_id=member_id), "Member")
    membership = membership_role_change(membership=membership, actor=request.user, role=request.POST.get("role", ""))
    flash.success(request, f"{membership.user.username} is now {membership.get_role_display().lower()}.")
    return redirect("team")


@require_POST
@admins_only
def member_deactivate_view(request: HttpRequest, organization: Organization, member_id: int) -> HttpResponse:
    membership = found_or_404(membership_get_for_admin(user=request.user, membership_id=member_id), "Member")
    raw = request.POST.get("hand_to", "")
    hand_to = ascii_int(raw) if raw else None
    if raw and hand_to is None:
        raise ServiceError("Choose a member to hand their conversations to, or nobody.", field="hand_to")
    released = member_deactivate(membership=membership, actor=request.user, hand_to_id=hand_to)
    who = membership.user.username
    handed = "handed over" if hand_to else "left unassigned"
    flash.success(request, f"{who} was removed from {organization.name}; {len(released)} conversation(s) {handed}.")
    if membership.user_id == request.user.pk:
        return redirect("home")
    return redirect("team")


@require_POST
@admins_only
def team_auto_assign(request: HttpRequest, organization: Organization) -> HttpResponse:
    """Turn automatic assignment on or off and set the open-conversation cap."""
    max_open = ascii_int(request.POST.get("max_open", "").strip(), max_value=10_000)
    if max_open is None:
        flash.error(request, "The most open conversations per member is a whole number (0: no limit).")
        return redirect("team")
    try:
        organization_auto_assign_update(
            organization=organization, actor=request.user, enabled=request.POST.get("enabled") == "on",
            max_open=max_open,
        )  # fmt: skip
    except ServiceError as exc:
        if exc.code == FORBIDDEN:
            raise
        flash.error(request, exc.message)
    else:
        state = "on" if organization.auto_assign else "off"
        flash.success(request, f"Automatic assignment is {state}.")
    return redirect("team")


@never_cache
@require_http_methods(["GET", "POST"])
def invite_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Open an invitation: create the account (or join with the signed-in one) and land in the inbox."""
    invite = invite_find(token=token)
    problem = invite_problem(invite)
    if problem is not None or invite is None:
        return render(request, "team/invite_unusable.html", {"problem": problem}, status=404 if invite is None else 410)
    signed_in = request.user.is_authenticated
    account_exists = not signed_in and User.objects.filter(email__iexact=invite.email).exists()
    form = AccountForm(request.POST or None, initial={"username": invite.email.split("@")[0]})
    error = ""
    if request.method == "POST" and not account_exists and (signed_in or form.is_valid()):
        try:
            if signed_in:
                membership = invite_accept(token=token, user=request.user)
            else:
                values = form.cleaned_data
                membership = invite_accept(token=token, username=values["username"], password=values["password1"])
        except ServiceError as exc:
            if exc.field in form.fields and not signed_in:
                form.add_error(exc.field, exc.message)
            else:
                error = exc.message
        else:
            if not signed_in:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = membership.organization_id
            flash.success(request, f"Welcome to {membership.organization.name}.")
            return redirect("home")
    context = {
        "invite": invite,
        "form": form,
        "signed_in": signed_in,
        "account_exists": account_exists,
        "error": error,
        "login_url": f"{reverse('login')}?next={request.path}",
    }
    return render(request, "team/invite.html", context, status=400 if request.method == "POST" else 200)
