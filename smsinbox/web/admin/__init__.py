"""Django admin for every model, scoped to the organizations a staff member administers.

Autodiscovered as the ``web`` app's admin module; each domain's admin lives in its own module.
"""

from smsinbox.web.admin import audit, canned, conversations, integrations, labels, messages, notes, tenancy  # noqa: F401  (registers the ModelAdmins)
