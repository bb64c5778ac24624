"""Two real worker processes race to deliver the same stored message (PostgreSQL): Twilio (the local emulator)
receives it once, and the message ends in the status Twilio reports for it.

Each process runs ``message_deliver`` as a task worker does, on its own connection. The test hands both the
same message id at the same moment (each waits on its stdin; one write to each wakes them together), once per
message, so each of them reaches the claim (the compare-and-set in ``messaging.services.delivery``) together.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from conversations.services import contact_create
from messaging.models import Message, MessageEvent
from messaging.services.outbound import message_send
from tests.pipeline import process_environment, running_emulator, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FROM = "+14155550001"
MESSAGES = 8

# A task worker reduced to its delivery: one message id a line on stdin, its outcome a line on stdout.
WORKER = """
import sys
import django
django.setup()
from django.conf import settings
from django.db import connection
from messaging.services.delivery import message_deliver
settings.TWILIO_API_BASE_URL, settings.PUBLIC_BASE_URL = sys.argv[1], sys.argv[2]
settings.SEND_RATE_LIMIT = sys.argv[3] == "1"
connection.ensure_connection()
print("READY", flush=True)
for line in sys.stdin:
    message_id = int(line)
    print("OUTCOME", message_id, message_deliver(message_id=message_id), flush=True)
"""


class Worker:
    """A real process running ``WORKER`` on the test database; its log goes to a file (a pipe could fill)."""

    def __init__(self, twilio_url: str, public_url: str, *, paced: bool) -> None:
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by close())
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, twilio_url, public_url, "1" if paced else "0"],
            cwd=django_settings.BASE_DIR,
            env=process_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )

    def give(self, message_id: int) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{message_id}\n")
        self.process.stdin.flush()

    def answer(self, prefix: str) -> list[str]:
        """The next line it prints with ``prefix``; its end fails the test with its log."""
        assert self.process.stdout is not None
        while line := self.process.stdout.readline():
            if line.startswith(prefix):
                return line.split()[1:]
        self.log.seek(0)
        raise AssertionError(f"the worker ended before its {prefix} line:\n{self.log.read()[-3000:]}")

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        self.log.close()


@contextmanager
def two_workers(twilio_url: str, public_url: str, *, paced: bool) -> Iterator[list[Worker]]:
    pair: list[Worker] = []
    try:
        pair = [Worker(twilio_url, public_url, paced=paced) for _ in range(2)]
        for worker in pair:
            worker.answer("READY")
        yield pair
    finally:
        for worker in pair:
            worker.close()


@pytest.mark.parametrize("paced", [False, True], ids=["unpaced", "paced"])
def test_two_worker_processes_racing_for_one_message_send_it_once(settings, live_server, org_a, paced):
    """``paced``: each worker first takes a slot on the number's pace (100/s), as the default does; unpaced,
    both reach the claim at once."""
    settings.PUBLIC_BASE_URL = live_server.url  # the status callbacks reach this test's server
    number = org_a.organization.phone_numbers.get()
    number.messages_per_second = Decimal("100")
    number.save()
    messages = [
        message_send(
            organization=org_a.organization,
            sender=org_a.user,
            contact=contact_create(organization=org_a.organization, phone=f"+141555502{i:02d}"),
            body=f"race {i}",
        ).message
        for i in range(MESSAGES)
    ]
    with (
        running_emulator(settings, numbers=[FROM]) as twilio,
        two_workers(twilio.base_url, live_server.url, paced=paced) as pair,
    ):
        outcomes: dict[int, list[str]] = {}
        for message in messages:
            for worker in pair:  # both are blocked reading stdin: these two writes wake them together
                worker.give(message.pk)
            outcomes[message.pk] = sorted(worker.answer("OUTCOME")[1] for worker in pair)
        created = twilio.messages(direction="outbound-api")  # one per create request Twilio accepted
        assert sorted(m["body"] for m in created) == sorted(m.body for m in messages)  # each message once
        for message in messages:
            # One worker handed it over; the other stood down (the claim was taken, or it was no longer pending).
            assert outcomes[message.pk] in (["busy", "sent"], ["done", "sent"]), outcomes[message.pk]
        assert twilio.wait_idle(timeout=60)
        for message in messages:
            message.refresh_from_db()
            at_twilio = twilio.message(message.twilio_sid)
            assert at_twilio["body"] == message.body
            wait_for(lambda m=message, t=at_twilio: Message.objects.get(pk=m.pk).status == t["status"], timeout=30)
            assert Message.objects.get(pk=message.pk).send_attempts == 1
            attempts = MessageEvent.objects.filter(message=message, event_type="send_attempt")
            assert list(attempts.values_list("payload__outcome", flat=True)) == ["accepted"]
