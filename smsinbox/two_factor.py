"""Two-factor sign-in with django-otp: an authenticator app (TOTP) and single-use recovery codes.

States of a user: **off** (no confirmed device), **set up** (a confirmed ``TOTPDevice`` and a ``StaticDevice``
holding the recovery codes). Setting up makes an unconfirmed TOTP device (``totp_device_start``), confirmed by
a code from the app (``totp_device_confirm``), which also makes 10 new recovery codes, shown once. Each recovery
code works once (django-otp deletes a static token when it matches).

A session is **fully signed in** only when ``session_pending`` says nothing: after the password, a user with a
device must give a code (``two_factor_verify``; django-otp records the device in the session,
``DEVICE_ID_SESSION_KEY``), and a member of an organization that requires two-factor sign-in
(``Organization.require_two_factor``) without a device must set one up first. Until then
``smsinbox.middleware.TwoFactorMiddleware`` lets the session reach only the code step, the set-up pages and
logout, and the websocket refuses it (``smsinbox.web.consumers.session_user``). Django admin is behind the same
middleware: its login is the same password step.

Wrong codes are throttled by django-otp per device (after n failures, 2^(n-1) s before the next try); the
password step stays throttled by django-axes.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from smsinbox.audit.services import Action, audit_record_for_user
from smsinbox.errors import ServiceError

VERIFY = "verify"  # a code is needed
ENROLL = "enroll"  # the organization requires two-factor sign-in and the user has no device yet
RECOVERY_CODES = 10
THROTTLED = "throttled"
WRONG_CODE = "That code is not right (or was already used). Try the current code from your app."
THROTTLED_MESSAGE = "Too many wrong codes. Wait a few seconds and try again."


def has_device(user: AbstractBaseUser) -> bool:
    """Whether the user has set up two-factor sign-in (a confirmed authenticator app)."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def required_for(user: AbstractBaseUser) -> bool:
    """Whether one of the user's organizations requires two-factor sign-in."""
    from smsinbox.models import Organization

    return Organization.objects.filter(memberships__user_id=user.pk, require_two_factor=True).exists()


def session_pending(user: AbstractBaseUser, session: Mapping[str, Any]) -> str | None:
    """What the session still needs before it signs the user in fully: ``VERIFY``, ``ENROLL`` or ``None``."""
    if has_device(user):
        device = Device.from_persistent_id(str(session.get(DEVICE_ID_SESSION_KEY) or ""))
        verified = device is not None and device.user_id == user.pk and getattr(device, "confirmed", False)
        return None if verified else VERIFY
    return ENROLL if required_for(user) else None


def secret_text(device: TOTPDevice) -> str:
    """The device's secret as an authenticator app takes it typed: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _clean(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()[:32]


def format_recovery_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


@transaction.atomic
def totp_device_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """A new, unconfirmed authenticator device for ``user`` (an earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_device_pending(*, user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("-pk").first()


def _recovery_codes_new(user: AbstractBaseUser) -> list[str]:
    StaticDevice.objects.filter(user_id=user.pk).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]  # 10 hex digits (40 bits), single use, throttled
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [format_recovery_code(code) for code in codes]


def totp_device_confirm(*, user: AbstractBaseUser, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with a code from the app; return it and the new recovery codes (shown once).

    A wrong code raises ``ServiceError`` (the failure is counted: django-otp's throttling). Confirming replaces
    any earlier authenticator and recovery codes.
    """
    device = totp_device_pending(user=user)
    if device is None:
        raise ServiceError("Start the set-up again: no authenticator is waiting to be confirmed.")
    _check(device, _clean(token), field="token")
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_new(user)
        audit_record_for_user(user=user, action=Action.TWO_FACTOR_ENABLED)
    return device, codes


def _check(device: Device, token: str, *, field: str) -> None:
    """Verify ``token`` on one device, outside any transaction (a failure must stay counted)."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise ServiceError(THROTTLED_MESSAGE, code=THROTTLED, field=field)
    if not device.verify_token(token):
        raise ServiceError(WRONG_CODE, field=field)


@dataclass(frozen=True)
class Verified:
    device: Device
    recovery_code: bool  # a recovery code was used (it works no more)
    recovery_codes_left: int


def two_factor_verify(*, user: AbstractBaseUser, token: str) -> Verified:
    """Check a code from the app or a recovery code; ``ServiceError`` when wrong or throttled.

    Not in a transaction: django-otp counts a failure by saving the device, which must stay saved.
    """
    token = _clean(token)
    if not token:
        raise ServiceError("Type the code from your app, or a recovery code.", field="token")
    devices: list[Device] = list(TOTPDevice.objects.filter(user_id=user.pk, confirmed=True))
    devices += list(StaticDevice.objects.filter(user_id=user.pk, confirmed=True))
    throttled = False
    for device in devices:
        is_static = isinstance(device, StaticDevice)
        looks_like_app_code = token.isdigit() and len(token) <= 8
        if looks_like_app_code == is_static:
            continue  # an app's code goes to the app, the others to the recovery codes: one failure counted, not two
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(token):
            left = (
                device.token_set.count() if is_static else StaticToken.objects.filter(device__user_id=user.pk).count()
            )
            return Verified(device=device, recovery_code=is_static, recovery_codes_left=left)
    # A failed code step is a failed sign-in (outside any transaction: the entry stays, as the count does).
    audit_record_for_user(user=user, action=Action.SIGN_IN_FAILED, changes={"step": "two-factor code"})
    if throttled:
        raise ServiceError(THROTTLED_MESSAGE, code=THROTTLED, field="token")
    raise ServiceError(WRONG_CODE, field="token")


def two_factor_disable(*, user: AbstractBaseUser, token: str) -> None:
    """Turn two-factor sign-in off for ``user``, given a current code (or a recovery code)."""
    two_factor_verify(user=user, token=token)
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=user.pk).delete()
        StaticDevice.objects.filter(user_id=user.pk).delete()
        audit_record_for_user(user=user, action=Action.TWO_FACTOR_DISABLED)


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk).count()
