"""python manage.py attachments_cleanup [--loop SECONDS] [--now ISO]: delete unsent composer uploads older than
``ATTACHMENTS_UNSENT_HOURS`` and their files. Task workers already do this every ``ATTACHMENTS_CLEANUP_SECONDS``."""

from __future__ import annotations

from messaging.attachments.services import attachments_cleanup
from smsinbox.management.sweep import SweepCommand


class Command(SweepCommand):
    help = "Delete unsent attachments older than ATTACHMENTS_UNSENT_HOURS, and their files. Safe in parallel."
    sweep = staticmethod(attachments_cleanup)
    done = "deleted"
