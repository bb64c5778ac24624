"""Two-factor sign-in pages (``smsinbox.two_factor``).

- ``/accounts/two-factor/``: the code step after the password (a code from the app or a recovery code);
  reachable by a half-signed-in session only (``TwoFactorMiddleware`` sends it here).
- ``/settings/two-factor/``: the user's own status; "Set up two-factor" (POST) starts an authenticator;
  ``/settings/two-factor/setup/`` shows its QR code (inline SVG, ``segno``) and its secret to type, and takes
  the first code; the recovery codes are shown once, in the answer. ``/settings/two-factor/disable/`` needs a
  code. Each view parses its input and calls one service; refusals are form errors (400), never a 500.
"""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from smsinbox import two_factor
from smsinbox.errors import ServiceError


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
    )


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return wanted if wanted and ok else reverse("home")


def _refused(form: forms.Form, exc: ServiceError) -> None:
    form.add_error("token" if exc.field == "token" else None, exc.message)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code step. A session that owes none goes on to where it was going."""
    if two_factor.session_pending(request.user, request.session) != two_factor.VERIFY:
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verified = two_factor.two_factor_verify(user=request.user, token=form.cleaned_data["token"])
        except ServiceError as exc:
            _refused(form, exc)
        else:
            otp_login(request, verified.device)
            request.session.cycle_key()  # a new key for the fully signed-in session
            if verified.recovery_code:
                flash.warning(
                    request,
                    f"You used a recovery code; {verified.recovery_codes_left} left. "
                    "Set up two-factor again in Settings for new ones.",
                )
            return redirect(_next(request))
    status = 400 if request.method == "POST" else 200
    return render(request, "two_factor/verify.html", {"form": form, "next": _next(request)}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """The user's two-factor status; a POST starts setting up an authenticator."""
    if request.method == "POST":
        two_factor.totp_device_start(user=request.user)
        return redirect("two-factor-setup")
    context: dict[str, Any] = {
        "enabled": two_factor.has_device(request.user),
        "required": two_factor.required_for(request.user),
        "codes_left": two_factor.recovery_codes_left(request.user),
        "form": CodeForm(),
    }
    return render(request, "two_factor/status.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Scan (or type) the pending authenticator's secret and confirm it with a first code."""
    device = two_factor.totp_device_pending(user=request.user)
    if device is None:
        return redirect("two-factor")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed, codes = two_factor.totp_device_confirm(user=request.user, token=form.cleaned_data["token"])
        except ServiceError as exc:
            _refused(form, exc)
        else:
            otp_login(request, confirmed)
            return render(request, "two_factor/recovery_codes.html", {"codes": codes})
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2, dark="#111", light="#fff")
    context = {"form": form, "qr": qr, "secret": two_factor.secret_text(device)}
    return render(request, "two_factor/setup.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            two_factor.two_factor_disable(user=request.user, token=form.cleaned_data["token"])
        except ServiceError as exc:
            _refused(form, exc)
        else:
            flash.success(request, "Two-factor sign-in is off.")
            return redirect("two-factor")
    context = {
        "enabled": True,
        "required": two_factor.required_for(request.user),
        "codes_left": two_factor.recovery_codes_left(request.user),
        "form": form,
    }
    return render(request, "two_factor/status.html", context, status=400)
