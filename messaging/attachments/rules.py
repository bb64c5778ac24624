"""What Twilio accepts as MMS media, and its limits (REFERENCE.md §7, Twilio's "Accepted content types for media").

JPEG, GIF and PNG are fully supported (resized for the handset by Twilio); the other types are passed on as they
are. At most 10 media and 5 MB in total a message.
"""

from __future__ import annotations

from datetime import timedelta

MAX_TOTAL_BYTES = 5 * 1024 * 1024  # Twilio: 5 MB for all media of one message
MAX_ATTACHMENTS = 10
SENT_LIFETIME = timedelta(hours=24)  # a sent attachment's public URL works at most this long after the send
FETCH_GRACE = timedelta(minutes=10)  # … and this long after Twilio first fetched it
MAX_NAME = 100

IMAGE_TYPES = frozenset({"image/jpeg", "image/gif", "image/png"})  # fully supported: re-encodable in the browser
ACCEPTED_TYPES = frozenset(
    {
        *IMAGE_TYPES,
        "image/bmp",
        "image/tiff",
        "image/webp",
        "audio/basic",
        "audio/l24",
        "audio/mp4",
        "audio/mpeg",
        "audio/ogg",
        "audio/vnd.wave",
        "audio/3gpp",
        "audio/3gpp2",
        "audio/ac3",
        "audio/webm",
        "audio/amr-nb",
        "audio/amr",
        "video/mpeg",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/3gpp",
        "video/3gpp2",
        "video/3gpp-tt",
        "video/h261",
        "video/h263",
        "video/h263-1998",
        "video/h263-2000",
        "video/h264",
        "text/vcard",
        "text/x-vcard",
        "text/csv",
        "text/rtf",
        "text/richtext",
        "text/calendar",
        "text/directory",
        "application/pdf",
        "application/vcard",
        "application/vnd.apple.pkpass",
    }
)


def normalized_type(raw: str) -> str:
    """``image/JPEG; charset=…`` → ``image/jpeg`` (``image/jpg``, which some browsers send, is ``image/jpeg``)."""
    kind = raw.split(";", 1)[0].strip().lower()
    return "image/jpeg" if kind == "image/jpg" else kind


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
