"""python manage.py send_scheduled [--loop SECONDS] [--now ISO]: hand scheduled messages whose time came to the
send pipeline. Task workers already do this every ``SCHEDULE_SWEEP_SECONDS``; this is for rehearsals and tests."""

from __future__ import annotations

from messaging.services.schedule import messages_send_due
from smsinbox.management.sweep import SweepCommand


class Command(SweepCommand):
    help = "Send scheduled messages whose time has come (through the outbox). Safe to run in parallel."
    sweep = staticmethod(messages_send_due)
    done = "handed over"
