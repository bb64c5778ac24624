"""An organization's opening hours, holidays and automatic replies (see ``messaging.hours``)."""

from __future__ import annotations

from datetime import time

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from messaging.hours.rules import DAY_NAMES
from smsinbox.models import Organization

AUTO_REPLY_EVERY_HOURS_DEFAULT = 12
AUTO_REPLY_EVERY_HOURS_MAX = 24 * 30


class AutoReplySettings(models.Model):
    """The after-hours auto-reply and the HELP reply of one organization (absent: both off).

    ``auto_reply_enabled`` with a non-empty ``auto_reply_text`` answers an inbound text that arrives while the
    organization is closed, at most once per contact every ``auto_reply_every_hours`` hours
    (``Conversation.last_auto_reply_at``). A non-empty ``help_reply_text`` answers HELP/INFO at any hour.
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="auto_reply_settings")
    auto_reply_enabled = models.BooleanField("after-hours auto-reply on", default=False)
    auto_reply_text = models.TextField(
        "after-hours auto-reply", blank=True, max_length=1600, help_text="Sent to a text that arrives outside hours."
    )
    auto_reply_every_hours = models.PositiveSmallIntegerField(
        "at most once every (hours)",
        default=AUTO_REPLY_EVERY_HOURS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(AUTO_REPLY_EVERY_HOURS_MAX)],
        help_text="A contact who keeps texting after hours gets the auto-reply once in this many hours.",
    )
    help_reply_text = models.TextField(
        "HELP reply", blank=True, max_length=1600, help_text="Answers HELP or INFO (empty: no answer from us)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "auto-reply settings"
        verbose_name_plural = "auto-reply settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(auto_reply_every_hours__gte=1, auto_reply_every_hours__lte=AUTO_REPLY_EVERY_HOURS_MAX),
                name="auto_reply_every_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Auto-replies of {self.organization}"


class OpeningInterval(models.Model):
    """Open on ``weekday`` (0 Monday … 6 Sunday) from ``opens`` to ``closes``, local wall-clock times in the
    organization's zone. ``closes`` at or before ``opens`` runs overnight, into the next day until ``closes``
    (``closes`` 00:00 is midnight: open to the end of the day). A weekday without intervals is closed."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="opening_intervals")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="opening_interval_weekday"),
            models.CheckConstraint(condition=~Q(opens=F("closes")), name="opening_interval_not_empty"),
            models.UniqueConstraint(fields=["organization", "weekday", "opens"], name="opening_interval_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def get_weekday_display(self) -> str:
        return DAY_NAMES[self.weekday]


class Holiday(models.Model):
    """A date (in the organization's zone) it is closed all day, whatever the weekly hours say."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["organization", "date"], name="holiday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


QUIET_OPENS_DEFAULT = time(8, 0)
QUIET_CLOSES_DEFAULT = time(21, 0)


class QuietHours(models.Model):
    """Quiet hours for outreach of one organization (absent: off).

    With ``enabled``, scheduled and bulk messages are sent only between ``opens`` and ``closes`` in the
    **contact's** local time (``messaging.hours.quiet``); one due outside that window waits until it opens.
    Invariant (check constraint): the window is one stretch of a day, ``opens`` before ``closes``.
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="quiet_hours")
    enabled = models.BooleanField("quiet hours on", default=False)
    opens = models.TimeField("send from", default=QUIET_OPENS_DEFAULT, help_text="Contact's local time.")
    closes = models.TimeField("send until", default=QUIET_CLOSES_DEFAULT, help_text="Contact's local time.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "quiet hours"
        verbose_name_plural = "quiet hours"
        constraints = [models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="quiet_hours_window_order")]

    def __str__(self) -> str:
        return f"Quiet hours of {self.organization}: send {self.opens:%H:%M}–{self.closes:%H:%M}"
