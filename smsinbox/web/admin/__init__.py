"""Django admin for every model, scoped to the organizations a staff member administers.

Autodiscovered as the ``web`` app's admin module; each domain's admin lives in its own module.
"""

from django.contrib import admin as _admin
from django_otp.plugins.otp_static.models import StaticDevice as _StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice as _TOTPDevice

from smsinbox.web.admin import audit, canned, conversations, integrations, labels, messages, notes, tenancy  # noqa: F401  (registers the ModelAdmins)

# django-otp's own admin pages list every user's devices and show their secrets (QR codes): not ours to show.
# Two-factor sign-in is managed by each user on /settings/two-factor/ (smsinbox/two_factor.py).
for _model in (_TOTPDevice, _StaticDevice):
    if _admin.site.is_registered(_model):
        _admin.site.unregister(_model)
