"""Messages, their media and their audit trail of events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When

from conversations.models import Conversation
from messaging.error_codes import error_is_retryable
from messaging.statuses import FAILURE_STATUSES, INBOUND_STATUSES, NOT_READABLE, STATUS_RANK, MessageStatus
from smsinbox.db_triggers import Trigger
from smsinbox.models import E164_REGEX, Organization


class Direction(models.TextChoices):
    INBOUND = "in", "Inbound"
    OUTBOUND = "out", "Outbound"


class Encoding(models.TextChoices):
    GSM7 = "GSM-7", "GSM-7"
    UCS2 = "UCS-2", "UCS-2"


def _status_rank_expression() -> Case:
    return Case(
        *(When(status=status, then=Value(rank)) for status, rank in STATUS_RANK.items()),
        default=Value(-1),
        output_field=models.SmallIntegerField(),
    )


class Message(models.Model):
    """One SMS/MMS, inbound or outbound.

    Status state machine (ranks in ``messaging.statuses``)::

        outbound: pending ─▶ accepted ─▶ scheduled ─▶ queued ─▶ sending ─▶ sent ─▶ delivered ─▶ read
                     │                      └─▶ canceled                     ├─▶ undelivered
                     └─▶ failed (refused before Twilio took it)              ├─▶ failed
                                                                             └─▶ partially_delivered
        inbound:  receiving ─▶ received

        ours, send later (``messaging.services.schedule``): a message stored as ``scheduled`` with no SID
        waits for ``send_at``; then ``scheduled ─▶ pending`` (the sweep hands it to the send pipeline, the
        one move down in rank the trigger allows), ``─▶ canceled`` (staff, or the contact opted out) or
        ``─▶ failed``. Nothing moves INTO that state: it is only ever inserted.

    Invariants held by the database:
    - ``twilio_sid`` is unique when set; an inbound message always has one.
    - ``idempotency_key`` is unique per organization when set.
    - ``status`` is one of ``MessageStatus``; ``status_rank`` is derived from it, and a
      trigger (``TRIGGERS`` below) rejects any UPDATE that lowers the rank, moves sideways,
      or leaves ``canceled``. Services update with ``status__in=statuses_below(new)``
      so a racing late callback updates nothing instead of failing.
    - only outbound messages have a ``sent_by`` user or an idempotency key.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="messages")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # NULL, not "": unique only when set (DJ001 does not apply to partial unique keys).
    twilio_sid = models.CharField("Twilio message SID", max_length=34, null=True, blank=True)  # noqa: DJ001
    from_number = models.CharField(max_length=32, help_text="E.164")
    to_number = models.CharField(max_length=32, help_text="E.164")
    body = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=MessageStatus.choices)
    status_rank = models.GeneratedField(
        expression=_status_rank_expression(), output_field=models.SmallIntegerField(), db_persist=True
    )
    num_segments = models.PositiveSmallIntegerField(default=1)
    encoding = models.CharField(max_length=5, choices=Encoding.choices, blank=True)
    num_media = models.PositiveSmallIntegerField(default=0)
    price = models.DecimalField(max_digits=10, decimal_places=5, null=True, blank=True)
    price_unit = models.CharField(max_length=3, blank=True)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    geo = models.JSONField(default=dict, blank=True, help_text="FromCity, FromState, … when Twilio sends them.")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_messages"
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    # A retry (``messages_retry``) is a new outbound message naming the failed one it resends.
    retry_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retries", db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Outbound delivery bookkeeping (see messaging.services.delivery).
    send_attempts = models.PositiveSmallIntegerField(default=0)
    dispatch_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set while a request to Twilio may be in flight; cleared when it ends.",
    )
    # Our own scheduler (``messaging.services.schedule``): while ``scheduled`` with no SID, the time it is due.
    send_at = models.DateTimeField(null=True, blank=True, help_text="Scheduled: when it is to be sent.")
    quiet_hours_held_from = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Held for the contact's quiet hours: the time it was first due (``send_at`` is when it goes).",
    )
    automatic = models.BooleanField(
        default=False, help_text="Sent by the system (an after-hours or HELP auto-reply), not by staff."
    )
    needs_lookup = models.BooleanField(
        default=False,
        help_text="A request ended without telling whether Twilio took the message: look before resending.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["twilio_sid"], condition=Q(twilio_sid__isnull=False), name="message_unique_twilio_sid"
            ),
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="message_unique_org_idempotency_key",
            ),
            models.CheckConstraint(condition=Q(direction__in=["in", "out"]), name="message_direction_valid"),
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="message_status_valid"),
            models.CheckConstraint(
                condition=Q(direction="out") | Q(twilio_sid__isnull=False), name="message_inbound_has_sid"
            ),
            models.CheckConstraint(
                condition=Q(direction="out") | Q(sent_by__isnull=True, idempotency_key__isnull=True),
                name="message_inbound_no_sender",
            ),
            models.CheckConstraint(condition=Q(encoding__in=["", "GSM-7", "UCS-2"]), name="message_encoding_valid"),
            models.CheckConstraint(condition=~Q(twilio_sid=""), name="message_sid_not_empty"),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="message_idempotency_key_not_empty"),
            models.CheckConstraint(
                condition=(
                    Q(direction="in", status__in=sorted(INBOUND_STATUSES))
                    | (Q(direction="out") & ~Q(status__in=sorted(INBOUND_STATUSES)))
                ),
                name="message_status_matches_direction",
            ),
            models.CheckConstraint(
                condition=Q(from_number__regex=E164_REGEX, to_number__regex=E164_REGEX), name="message_numbers_e164"
            ),
            # Waiting for our scheduler (scheduled, not at Twilio) means having a time to wait for.
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(twilio_sid__isnull=False) | Q(send_at__isnull=False),
                name="message_scheduled_has_send_at",
            ),
        ]
        indexes = [
            # Thread view: a conversation's messages in order, "load older" by keyset.
            models.Index("conversation", models.F("created_at").desc(), models.F("id").desc(), name="thread_idx"),
            # Admin and reports: an organization's messages by date.
            models.Index("organization", models.F("created_at").desc(), name="org_messages_idx"),
            # Reconciliation: outbound messages whose final status is not known yet.
            models.Index(
                fields=["updated_at"],
                name="reconcile_open_idx",
                condition=Q(
                    direction="out", status__in=["pending", "accepted", "scheduled", "queued", "sending", "sent"]
                ),
            ),
            # The Failed page: an organization's failed and undelivered sends, newest first, and their codes.
            models.Index(
                "organization",
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="failed_outbound_idx",
                condition=Q(direction="out", status__in=["failed", "undelivered"]),
            ),
            # The scheduler's sweep: messages waiting for their time (ours, not Twilio's), soonest first.
            models.Index(
                fields=["send_at"],
                name="message_scheduled_due_idx",
                condition=Q(status="scheduled", twilio_sid__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        arrow = "←" if self.direction == Direction.INBOUND else "→"
        return f"{arrow} {self.twilio_sid or f'#{self.pk}'} ({self.status})"

    @property
    def failed(self) -> bool:
        """A sent message that did not reach the phone (failed or undelivered)."""
        return self.direction == Direction.OUTBOUND and self.status in FAILURE_STATUSES

    @property
    def waiting(self) -> bool:
        """Scheduled by us and waiting for ``send_at``: it may still be edited or canceled."""
        return self.status == MessageStatus.SCHEDULED and self.twilio_sid is None and self.send_at is not None

    @property
    def held_by_twilio(self) -> bool:
        """Handed to Twilio's own scheduler and held there for ``send_at`` (it may still be canceled)."""
        return self.status == MessageStatus.SCHEDULED and self.twilio_sid is not None and self.send_at is not None

    @property
    def not_sent(self) -> bool:
        """Canceled with a reason of ours (the contact opted out before the scheduled time)."""
        return self.status == MessageStatus.CANCELED and bool(self.error_message) and self.error_code is None

    @property
    def retryable(self) -> bool:
        """Failed for a reason a new send of the same text may overcome (``messaging.error_codes``)."""
        return self.failed and error_is_retryable(self.error_code)


_UNREADABLE = ", ".join(f"'{s}'" for s in sorted(NOT_READABLE))

# Installed by migrations and after every migrate (``smsinbox.db_triggers``).
TRIGGERS = [
    # Forward only, but for our own scheduled state (scheduled, no SID): it may only be inserted, and it leaves
    # only for pending (released to the send pipeline: down in rank), canceled or failed.
    Trigger(
        "messaging_message_status_forward_only",
        "messaging_message",
        ("UPDATE OF status",),
        "NEW.status <> OLD.status AND ("
        "(NEW.status = 'scheduled' AND NEW.twilio_sid IS NULL) "
        "OR (OLD.status = 'scheduled' AND OLD.twilio_sid IS NULL "
        "AND NEW.status NOT IN ('pending', 'canceled', 'failed')) "
        "OR (NOT (OLD.status = 'scheduled' AND OLD.twilio_sid IS NULL) "
        "AND (NEW.status_rank <= OLD.status_rank OR OLD.status = 'canceled' "
        f"OR (NEW.status = 'read' AND OLD.status IN ({_UNREADABLE})))))",
        "message status may only move forward",
        timing="AFTER",
    ),
    Trigger(
        "message_same_organization",
        "messaging_message",
        ("INSERT", "UPDATE"),
        "(SELECT organization_id FROM conversations_conversation WHERE id = NEW.conversation_id) "
        "<> NEW.organization_id",
        "a message belongs to its conversation's organization",
    ),
]


# How a thread shows a media item (``MessageMedia.kind``; the page's templates have one element per kind).
IMAGE, AUDIO, FILE = "image", "audio", "file"
# Images a browser draws (TIFF is not one of them); anything else with a known type is offered as a link.
DRAWN_IMAGES = frozenset({"image/jpeg", "image/gif", "image/png", "image/webp", "image/bmp"})
# Audio browsers play (AMR, 3GPP audio, μ-law and the like do not: those are links, opened or downloaded).
PLAYED_AUDIO = frozenset(
    {"audio/mpeg", "audio/mp4", "audio/ogg", "audio/webm", "audio/wav", "audio/vnd.wave", "audio/aac"}
)
DESCRIPTIONS = {
    "application/pdf": "PDF document",
    "text/vcard": "Contact card",
    "text/x-vcard": "Contact card",
    "application/vcard": "Contact card",
    "text/directory": "Contact card",
    "text/calendar": "Calendar event",
    "text/csv": "Spreadsheet (CSV)",
    "application/vnd.apple.pkpass": "Wallet pass",
}


def media_kind(content_type: str) -> str:
    """``image`` (a thumbnail: a type browsers draw, or no type at all — a URL staff attached by hand, shown as
    it always was), ``audio`` (the browser's player, for audio it plays) or ``file`` (a link that opens it:
    video, PDF, vCard, AMR audio, …)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if not kind or kind in DRAWN_IMAGES:
        return IMAGE
    return AUDIO if kind in PLAYED_AUDIO else FILE


def media_description(content_type: str) -> str:
    """A media item's type in words, for its link and its label ("PDF document", "Video", "Image", …)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in DESCRIPTIONS:
        return DESCRIPTIONS[kind]
    main = kind.split("/", 1)[0]
    return {"image": "Image", "audio": "Audio", "video": "Video", "text": "Text file"}.get(main, "File")


class MessageMedia(models.Model):
    """One media item of an MMS, in the order Twilio listed it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="media")
    position = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=1000)
    content_type = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["message", "position"]
        constraints = [
            models.UniqueConstraint(fields=["message", "position"], name="media_unique_message_position"),
        ]
        verbose_name_plural = "message media"

    def __str__(self) -> str:
        return f"{self.content_type or 'media'} #{self.position}"

    @property
    def kind(self) -> str:
        return media_kind(self.content_type)

    @property
    def description(self) -> str:
        return media_description(self.content_type)


class MessageEvent(models.Model):
    """Audit trail: every callback, attempt and opt-out change of a message, with its raw fields.

    ``dedupe_key`` (unique per message when set) makes a repeated delivery of the same
    fact, such as the same status callback twice, one row.
    """

    class Type(models.TextChoices):
        RECEIVED = "received", "Received"
        CREATED = "created", "Created"
        SEND_ATTEMPT = "send_attempt", "Send attempt"
        STATUS_CALLBACK = "status_callback", "Status callback"
        OPT_OUT = "opt_out", "Opted out"
        OPT_IN = "opt_in", "Opted in"
        HELP = "help", "Asked for help"
        RECONCILED = "reconciled", "Reconciled"
        RETRIED = "retried", "Retried"
        SCHEDULE_EDITED = "schedule_edited", "Scheduled message edited"
        SCHEDULE_DUE = "schedule_due", "Scheduled time came"
        CANCELED = "canceled", "Canceled"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=20, choices=Type.choices)
    status = models.CharField(max_length=40, blank=True, help_text="As reported, even if unknown to us.")
    error_code = models.PositiveIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["message", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "dedupe_key"], condition=Q(dedupe_key__isnull=False), name="event_unique_dedupe"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} {self.status}".strip()


from messaging.attachments.models import Attachment  # noqa: E402, F401
from messaging.broadcasts.models import Broadcast, BroadcastRecipient  # noqa: E402, F401
from messaging.hours.models import AutoReplySettings, Holiday, OpeningInterval, QuietHours  # noqa: E402, F401
from messaging.intake.models import TRIGGERS as INTAKE_TRIGGERS  # noqa: E402
from messaging.intake.models import WebhookPost  # noqa: E402, F401

TRIGGERS.extend(INTAKE_TRIGGERS)
