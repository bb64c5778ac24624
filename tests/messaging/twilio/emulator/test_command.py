"""``manage.py twilio_emulator``: the foreground server and the ``send`` subcommand."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import CommandError, call_command
from twilio.rest import Client

from messaging.management.commands.twilio_emulator import DEFAULT_OUT_OF_ORDER

from .helpers import CUSTOMER, NUMBER, free_port

REPO = Path(__file__).resolve().parents[4]
SERVICE_SID = "MG" + "3" * 32


def test_send_delivers_an_incoming_text(emulator, receiver):
    out = StringIO()
    call_command(
        "twilio_emulator", "send", "--from", CUSTOMER, "--to", NUMBER, "--body", "hi", "--port", str(emulator.port),
        stdout=out,
    )  # fmt: skip
    [post] = receiver.to("/sms-incoming")
    assert post.form["Body"] == "hi"
    assert post.signed()
    assert post.form["MessageSid"] in out.getvalue()
    assert "answered 200" in out.getvalue()


def test_send_with_media_and_the_only_number_by_default(emulator, receiver):
    call_command(
        "twilio_emulator", "--port", str(emulator.port), "send", "--from", CUSTOMER, "--media", "emulator",
        stdout=StringIO(),
    )  # fmt: skip
    [post] = receiver.to("/sms-incoming")
    assert (post.form["To"], post.form["NumMedia"]) == (NUMBER, "1")


def test_send_with_a_file_serves_its_bytes(emulator, receiver, tmp_path):
    photo = tmp_path / "x-ray.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 the customer's photo \xff\xd9")
    call_command(
        "twilio_emulator", "send", "--from", CUSTOMER, "--body", "look", "--media", str(photo),
        "--media", "https://example.com/map.gif", "--port", str(emulator.port), stdout=StringIO(),
    )  # fmt: skip
    [post] = receiver.to("/sms-incoming")
    assert post.signed()
    assert (post.form["NumMedia"], post.form["MediaContentType0"], post.form["MediaContentType1"]) == (
        "2",
        "image/jpeg",
        "image/gif",
    )
    auth = (emulator.account_sid, emulator.auth_token)
    first = requests.get(post.form["MediaUrl0"], auth=auth, timeout=5)
    assert (first.headers["Content-Type"], first.content) == ("image/jpeg", photo.read_bytes())
    second = requests.get(post.form["MediaUrl1"], auth=auth, timeout=5)
    assert second.headers["Content-Type"] == "image/gif"
    assert second.content.startswith(b"GIF89a")  # generated: the URL is recorded, never fetched


def test_send_refuses_a_missing_file(emulator):
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "twilio_emulator", "send", "--from", CUSTOMER, "--media", "/nonexistent/photo.jpg",
            "--port", str(emulator.port),
        )  # fmt: skip


def test_send_fails_clearly_when_no_emulator_runs():
    port = free_port()
    with pytest.raises(CommandError, match=f"No Twilio emulator is running at http://127.0.0.1:{port}"):
        call_command("twilio_emulator", "send", "--from", CUSTOMER, "--body", "hi", "--port", str(port))


def test_send_fails_when_the_inbox_refuses_the_webhook(emulator, receiver):
    receiver.status = 403
    with pytest.raises(CommandError, match="not accepted"):
        call_command("twilio_emulator", "send", "--from", CUSTOMER, "--port", str(emulator.port), stdout=StringIO())
    with pytest.raises(CommandError, match="not a number of this emulator"):
        call_command(
            "twilio_emulator", "send", "--from", CUSTOMER, "--to", "+15005550007", "--port", str(emulator.port)
        )


def test_the_demo_delivers_some_callbacks_out_of_order_by_default():
    assert 0 < DEFAULT_OUT_OF_ORDER < 1  # as Twilio may; tests choose their order explicitly


def test_server_refuses_bad_arguments(emulator):
    with pytest.raises(CommandError, match="more URLs than numbers"):
        call_command("twilio_emulator", "--sms-url", "http://127.0.0.1:8000/a", "--sms-url", "http://127.0.0.1:8000/b")
    with pytest.raises(CommandError, match="more services than numbers"):
        call_command("twilio_emulator", "--number", NUMBER, "--service", SERVICE_SID, "--service", SERVICE_SID)
    with pytest.raises(CommandError, match="Messaging Service SID"):
        call_command("twilio_emulator", "--number", NUMBER, "--service", "MG1", "--port", "0")
    with pytest.raises(CommandError, match="share of messages"):
        call_command("twilio_emulator", "--out-of-order", "2", "--port", "0")
    with pytest.raises(CommandError, match="Cannot listen"):
        call_command("twilio_emulator", "--port", str(emulator.port))


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_server_runs_in_the_foreground_until_stopped(receiver, stop_signal):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable, "manage.py", "twilio_emulator", "--port", "0", "--callback-delay", "0.01",
        "--number", NUMBER, "--sms-url", receiver.url + "/sms-incoming", "--service", SERVICE_SID,
        "--advanced-opt-out", "--number", "+15005550007",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        banner = lines.get(timeout=30)
        match = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", banner)
        assert match, banner
        assert settings.TWILIO_ACCOUNT_SID in banner
        assert f"{NUMBER} (Messaging Service {SERVICE_SID})" in lines.get(timeout=5)
        port = int(match[2])

        client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        client.api.base_url = match[1]
        client.edge = client.region = None
        assert client.messages.create(to=CUSTOMER, from_="+15005550007", body="hi").status == "queued"
        assert [n.phone_number for n in client.incoming_phone_numbers.list()] == [NUMBER, "+15005550007"]

        call_command(
            "twilio_emulator", "send", "--from", CUSTOMER, "--to", NUMBER, "--port", str(port), stdout=StringIO()
        )
        call_command(
            "twilio_emulator", "send", "--from", CUSTOMER, "--to", NUMBER, "--body", "STOP", "--port", str(port),
            stdout=StringIO(),
        )  # fmt: skip
        [post, stop] = receiver.wait_for(2)
        assert post.signed(token=settings.TWILIO_AUTH_TOKEN)
        assert post.form["MessagingServiceSid"] == SERVICE_SID
        assert (stop.form["MessagingServiceSid"], stop.form["OptOutType"]) == (SERVICE_SID, "STOP")
    finally:
        process.send_signal(stop_signal)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, process.stderr.read()
    process.stdout.close()
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert "Twilio emulator stopped." in "".join(rest)
