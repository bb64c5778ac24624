"""python manage.py wake_snoozed [--loop SECONDS] [--now ISO]: bring back snoozed conversations whose time came."""

from __future__ import annotations

from conversations.snooze import conversations_wake_due
from smsinbox.management.sweep import SweepCommand


class Command(SweepCommand):
    help = "Wake snoozed conversations whose time has come (open again, assignee told). Safe to run in parallel."
    sweep = staticmethod(conversations_wake_due)
    done = "woke"
