"""The one HTTP client of outgoing webhooks, with the server-side request forgery (SSRF) guard.

Checked on every delivery, after DNS resolution: the name is resolved once, every address it resolves to
must be public (not loopback, private, link-local — cloud metadata at 169.254.169.254 —, shared, multicast,
reserved or unspecified), and the connection goes to the address that was checked (the ``Host`` header and
TLS name stay the URL's), so a name cannot resolve to a public address for the check and a private one for
the connection. ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lets on-premises receivers (and tests) in. Redirects are
not followed. Only http and https.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

EXCERPT_CHARS = 500
MAX_READ_BYTES = 64 * 1024


class UnsafeTarget(Exception):
    """The URL may not be delivered to (the reason is the message, shown in the deliveries log)."""


@dataclass(frozen=True)
class PostResult:
    status: int | None  # None: no HTTP answer (refused, timed out, unsafe target)
    duration_ms: int
    excerpt: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _address_refused(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for test, what in (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address (cloud metadata lives there)"),
        (ip.is_private, "a private address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "a non-public address"),
    ):
        if test:
            return f"{address} is {what}"
    return None


def url_problem(url: str) -> str | None:
    """What is wrong with an endpoint URL before any lookup: scheme, host, credentials, a literal unsafe address."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "That is not a valid URL."
    if parts.scheme not in ("http", "https"):
        return "Only http:// and https:// URLs can receive webhooks."
    if not parts.hostname:
        return "The URL needs a host name."
    if parts.username or parts.password:
        return "Put no user name or password in the URL; check the signature instead."
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return None
    if parts.hostname.lower() in ("localhost", "localhost.localdomain") or parts.hostname.lower().endswith(
        ".localhost"
    ):
        return "Webhooks cannot be sent to localhost."
    try:
        refused = _address_refused(parts.hostname)
    except ValueError:
        return None  # a name: checked after resolution, on every delivery
    return f"Webhooks cannot be sent to {refused}." if refused else None


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, refused as a whole if any is unsafe (unless allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeTarget(f"{host} could not be resolved ({exc}).") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeTarget(f"{host} resolved to no address.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            refused = _address_refused(address)
            if refused:
                raise UnsafeTarget(f"Refused: {host} resolves to {refused}.")
    return addresses


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an address already checked, with the certificate checked against the URL's host name."""

    def __init__(self, address: str, port: int, *, server_name: str, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._server_name = server_name

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)  # type: ignore[attr-defined]


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> PostResult:
    """POST ``body`` to ``url`` after the guard; never raises for the receiver's or the network's faults."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    problem = url_problem(url)
    if problem:
        return PostResult(status=None, duration_ms=0, excerpt="", error=problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = resolve(host, port)[0]
    except UnsafeTarget as exc:
        return PostResult(status=None, duration_ms=took(), excerpt="", error=str(exc)[:300])
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _PinnedHTTPS(address, port, server_name=host, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = (parts.scheme == "https" and port == 443) or (parts.scheme == "http" and port == 80)
    host_header = host if default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if default_port else f"[{host}]:{port}"
    try:
        connection.request(
            "POST", path, body=body, headers={**headers, "Host": host_header, "Content-Length": str(len(body))}
        )
        response = connection.getresponse()
        raw = response.read(MAX_READ_BYTES)
        return PostResult(
            status=response.status, duration_ms=took(), excerpt=raw.decode("utf-8", "replace")[:EXCERPT_CHARS]
        )
    except (OSError, http.client.HTTPException) as exc:
        reason = "timed out" if isinstance(exc, TimeoutError | socket.timeout) else f"{type(exc).__name__}: {exc}"
        return PostResult(status=None, duration_ms=took(), excerpt="", error=f"No answer: {reason}"[:300])
    finally:
        connection.close()
