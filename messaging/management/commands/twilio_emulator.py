"""python manage.py twilio_emulator: run the local Twilio emulator, or send it an incoming text.

    twilio_emulator [--host H] [--port N] [--number E164 [--sms-url URL] [--service MG… [--advanced-opt-out]]] …
                    [--callback-delay S] [--duplicate-callbacks] [--shuffle-callbacks] [--out-of-order SHARE]
    twilio_emulator send --from E164 [--to E164] [--body TEXT] [--media FILE|URL|emulator …] [--host H] [--port N]

The server runs in the foreground until Ctrl+C (or SIGTERM), as the account ``TWILIO_ACCOUNT_SID`` /
``TWILIO_AUTH_TOKEN``. ``send`` asks a running emulator (``POST /_emulator/inbound``) to post a
signed incoming-message webhook to the number's SMS URL. A ``--media`` file is read here and
sent as bytes: the inbox shows that very image. An http(s) URL is only recorded (the emulator
fetches nothing from outside) and served as a generated image of the type its extension declares.
"""

from __future__ import annotations

import argparse
import base64
import mimetypes
import signal
import threading
import time
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from messaging.demo import DEMO_NUMBER
from messaging.twilio.emulator import TwilioEmulator
from messaging.twilio.webhook_urls import webhook_url

DEFAULT_OUT_OF_ORDER = 0.25  # the demo shows what Twilio may do: some messages' callbacks arrive out of order


def _add_address_arguments(parser: CommandParser, *, subcommand: bool) -> None:
    # In the subcommand, SUPPRESS keeps a value given before "send" from being reset to a default.
    default_host = argparse.SUPPRESS if subcommand else "127.0.0.1"
    default_port = argparse.SUPPRESS if subcommand else None
    parser.add_argument("--host", default=default_host, help="Address to listen on / of the emulator (127.0.0.1).")
    parser.add_argument(
        "--port", type=int, default=default_port, help="Port (default settings.TWILIO_EMULATOR_PORT; 0 = any free)."
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm() -> Any:
    """Make SIGTERM (process managers, ``docker stop``) stop the server like Ctrl+C; return the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)


class Command(BaseCommand):
    help = "Run the local Twilio emulator (REST API + signed webhooks), or `send` it an incoming text."

    def add_arguments(self, parser: CommandParser) -> None:
        _add_address_arguments(parser, subcommand=False)
        parser.add_argument(
            "--number",
            action="append",
            default=[],
            dest="numbers",
            help=f"A number of the account (default {DEMO_NUMBER}, the demo organization's); repeatable.",
        )
        parser.add_argument(
            "--sms-url",
            action="append",
            default=[],
            dest="sms_urls",
            help="Incoming-message webhook of the --number in the same position (default: the app's,"
            " at PUBLIC_BASE_URL).",
        )
        parser.add_argument(
            "--service",
            action="append",
            default=[],
            dest="services",
            help="The Messaging Service (MG…) whose sender pool holds the --number in the same position.",
        )
        parser.add_argument(
            "--advanced-opt-out",
            action="store_true",
            help="The --service numbers' services have Advanced Opt-Out (OptOutType on STOP/START/HELP).",
        )
        parser.add_argument("--callback-delay", type=float, default=1.0, help="Seconds between status callbacks (1).")
        parser.add_argument("--duplicate-callbacks", action="store_true", help="Send every webhook twice.")
        parser.add_argument(
            "--shuffle-callbacks", action="store_true", help="Send every message's status callbacks out of order."
        )
        parser.add_argument(
            "--out-of-order",
            type=float,
            default=DEFAULT_OUT_OF_ORDER,
            help="Share of messages whose status callbacks arrive out of order, as Twilio does not guarantee"
            f" their order (default {DEFAULT_OUT_OF_ORDER}; 0 keeps them in order).",
        )
        actions = parser.add_subparsers(dest="action", title="subcommands")
        send = actions.add_parser("send", help="Make a running emulator deliver an incoming text to the inbox.")
        send.add_argument("--from", dest="from_number", required=True, help="The sender, e.g. +14155550101.")
        send.add_argument("--to", default="", help="One of the emulator's numbers (default: its only number).")
        send.add_argument("--body", default="", help="The text.")
        send.add_argument(
            "--media",
            action="append",
            default=[],
            help="An image file (sent as it is), 'emulator' (a generated PNG) or an http(s) URL (recorded,"
            " served as a generated image of its type: never fetched); repeatable.",
        )
        _add_address_arguments(send, subcommand=True)

    def handle(self, *args: Any, **options: Any) -> None:
        options["port"] = settings.TWILIO_EMULATOR_PORT if options.get("port") is None else options["port"]
        if options.get("action") == "send":
            self._send(options)
        else:
            self._serve(options)

    # --- server ------------------------------------------------------------------------

    def _serve(self, options: dict[str, Any]) -> None:
        account_sid, auth_token = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
        if not account_sid or not auth_token:
            raise CommandError(
                "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set (DEBUG=1 sets an emulator account)."
            )
        numbers = options["numbers"] or [DEMO_NUMBER]
        sms_urls = options["sms_urls"]
        if len(sms_urls) > len(numbers):
            raise CommandError("Each --sms-url belongs to the --number before it; there are more URLs than numbers.")
        services = options["services"]
        if len(services) > len(numbers):
            raise CommandError(
                "Each --service belongs to the --number before it; there are more services than numbers."
            )
        default_sms_url = webhook_url("sms-incoming", base_url=settings.PUBLIC_BASE_URL or "http://127.0.0.1:8000")
        try:
            emulator = TwilioEmulator(
                account_sid=account_sid,
                auth_token=auth_token,
                host=options["host"],
                port=options["port"],
                callback_delay=options["callback_delay"],
                duplicate_callbacks=options["duplicate_callbacks"],
                shuffle_callbacks=options["shuffle_callbacks"],
                out_of_order=options["out_of_order"],
            )
            for index, number in enumerate(numbers):
                service = services[index] if index < len(services) else ""
                emulator.add_number(
                    number,
                    sms_url=sms_urls[index] if index < len(sms_urls) else default_sms_url,
                    messaging_service_sid=service,
                    advanced_opt_out=bool(service) and options["advanced_opt_out"],
                )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            emulator.start()
        except OSError as exc:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        previous = _stop_on_sigterm()
        try:
            self._banner(emulator)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write("Twilio emulator stopped.")
        finally:
            emulator.stop()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _banner(self, emulator: TwilioEmulator) -> None:
        lines = [f"Twilio emulator listening on {emulator.base_url} (account {emulator.account_sid})"]
        for n in emulator.numbers():
            service = emulator.state.service_of(n["phone_number"])
            pool = f" (Messaging Service {service})" if service else ""
            lines.append(f"  {n['phone_number']}{pool}  incoming texts → {n['sms_url'] or '(no SMS URL)'}")
        configured = getattr(settings, "TWILIO_API_BASE_URL", "")
        if configured != emulator.base_url:
            lines.append(
                f"  The inbox uses {configured or 'api.twilio.com'}; set TWILIO_API_BASE_URL={emulator.base_url}."
            )
        if not settings.DEBUG:
            lines.append("  Warning: DEBUG is off. The emulator is for development and tests, never production.")
        lines.append("Quit with Ctrl+C.")
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    # --- send --------------------------------------------------------------------------

    def _send(self, options: dict[str, Any]) -> None:
        host = options["host"] if options["host"] not in {"", "0.0.0.0"} else "127.0.0.1"  # noqa: S104 (a comparison)
        base_url = f"http://{host}:{options['port']}"
        media: list[str | dict[str, str]] = []
        for item in options["media"]:
            path = Path(item).expanduser()
            if item == "emulator" or item.startswith(("http://", "https://")):
                media.append(item)
            elif path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                media.append({"content_type": content_type, "data": base64.b64encode(path.read_bytes()).decode()})
            else:
                raise CommandError(f"--media {item}: no such file (give a file, an http(s) URL or 'emulator')")
        payload = {
            "from": options["from_number"],
            "to": options["to"],
            "body": options["body"],
            "media": media,
        }
        try:
            response = requests.post(f"{base_url}/_emulator/inbound", json=payload, timeout=30)
        except requests.ConnectionError as exc:
            raise CommandError(
                f"No Twilio emulator is running at {base_url}. Start one with "
                f"`python manage.py twilio_emulator --port {options['port']}`."
            ) from exc
        except requests.RequestException as exc:
            raise CommandError(f"The Twilio emulator at {base_url} did not answer: {exc}") from exc
        try:
            result = response.json()
        except ValueError:
            raise CommandError(
                f"{base_url} answered HTTP {response.status_code} without JSON: not a Twilio emulator?"
            ) from None
        if response.status_code != 200:
            raise CommandError(f"The emulator refused: {result.get('error') or result}")
        code = result.get("status_code")
        self.stdout.write(
            f"{result['sid']}: {options['from_number']} → {result.get('url') or '?'} answered {code or '-'}"
        )
        if code is None or not 200 <= code < 300:
            raise CommandError(f"The incoming text was not accepted: {result.get('error') or f'HTTP {code}'}")
