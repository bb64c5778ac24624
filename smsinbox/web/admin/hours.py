"""Business hours in Django admin: read-only rows on the organization's page (``OrganizationAdmin``).

They are changed on the Business hours page (``/settings/hours/``, ``messaging.hours.services``), which
validates the week as a whole; here an organization's admins only see them, scoped like the organization.
"""

from __future__ import annotations

from messaging.hours.models import AutoReplySettings, Holiday, OpeningInterval
from smsinbox.web.admin.scoping import ReadOnlyInline


class OpeningIntervalInline(ReadOnlyInline):
    model = OpeningInterval
    fields = ("weekday", "opens", "closes")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "opening hours (changed on /settings/hours/)"


class HolidayInline(ReadOnlyInline):
    model = Holiday
    fields = ("date", "name")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "holidays (changed on /settings/hours/)"


class AutoReplySettingsInline(ReadOnlyInline):
    model = AutoReplySettings
    fields = ("auto_reply_enabled", "auto_reply_text", "auto_reply_every_hours", "help_reply_text", "updated_at")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "automatic replies (changed on /settings/hours/)"


HOURS_INLINES = (OpeningIntervalInline, HolidayInline, AutoReplySettingsInline)
