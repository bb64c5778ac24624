"""Contacts and the conversation threads staff have with them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Lower, Trim
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from smsinbox.db_triggers import Trigger, VersionBump
from smsinbox.models import E164_REGEX, Organization, PhoneNumber
from smsinbox.phones import format_for_people, organization_region

PREVIEW_LENGTH = 100
MEDIA_PREVIEW = "[Media]"
CONTACT_NOTES_MAX_LENGTH = 2000


class Contact(models.Model):
    """A person an organization texts with.

    Invariant: one contact per (organization, E.164 number), enforced by the database.
    Numbers are compared whole: ``+447700900123`` and ``+17700900123`` are two people.

    Opt-out: ``opted_out_at`` is set while the person has unsubscribed; ``opt_out_method``
    says how (an inbound keyword, Twilio error 21610 on a send, or a staff action) and
    ``opt_out_message`` which message did it. Both are set or both are empty.

    Line type: what Twilio Lookup (``line_type_intelligence``) last said the number is, and when
    (``line_type`` empty: never checked; both set or both empty). A known ``landline`` is refused a send.
    """

    class LineType(models.TextChoices):
        MOBILE = "mobile", "Mobile"
        LANDLINE = "landline", "Landline (cannot receive texts)"
        FIXED_VOIP = "fixedVoip", "Fixed VoIP"
        NON_FIXED_VOIP = "nonFixedVoip", "Non-fixed VoIP"
        TOLL_FREE = "tollFree", "Toll-free"
        PERSONAL = "personal", "Personal"
        PREMIUM = "premium", "Premium"
        SHARED_COST = "sharedCost", "Shared cost"
        UAN = "uan", "Universal access number"
        VOICEMAIL = "voicemail", "Voicemail"
        PAGER = "pager", "Pager"
        UNKNOWN = "unknown", "Unknown"

    class OptOutMethod(models.TextChoices):
        KEYWORD = "keyword", "Replied with an opt-out keyword"
        ERROR_21610 = "error_21610", "Twilio refused a send (21610: unsubscribed)"
        STAFF = "staff", "Opted out by staff"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contacts")
    phone = PhoneNumberField(help_text="Stored in E.164, for example +15551234567.")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opt_out_method = models.CharField(max_length=20, choices=OptOutMethod.choices, blank=True)
    opt_out_keyword = models.CharField(max_length=20, blank=True)
    opt_out_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(
        blank=True, help_text=f"Staff's free-text notes about the person (plain text, {CONTACT_NOTES_MAX_LENGTH} max)."
    )
    line_type = models.CharField(  # db_default: rows inserted by raw SQL (bench seeding) start unchecked too
        max_length=20,
        blank=True,
        default="",
        db_default="",
        choices=LineType.choices,
        help_text="What Twilio Lookup said (empty: unchecked).",
    )
    line_type_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "phone"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "phone"], name="contact_unique_org_phone"),
            models.CheckConstraint(condition=Q(phone__regex=E164_REGEX), name="contact_phone_e164"),
            models.CheckConstraint(
                condition=models.lookups.LessThanOrEqual(Length("notes"), CONTACT_NOTES_MAX_LENGTH),
                name="contact_notes_length",
            ),
            models.CheckConstraint(
                condition=(
                    Q(opted_out_at__isnull=True, opt_out_method="")
                    | Q(opted_out_at__isnull=False, opt_out_method__in=["keyword", "error_21610", "staff"])
                ),
                name="contact_opt_out_consistent",
            ),
            models.CheckConstraint(
                condition=Q(line_type="", line_type_checked_at__isnull=True)
                | (~Q(line_type="") & Q(line_type_checked_at__isnull=False)),
                name="contact_line_type_checked",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "last_name", "first_name"], name="contacts_list_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part).strip()

    @property
    def display_name(self) -> str:
        """Name if known, else the number formatted for people."""
        return self.full_name or self.display_name_number

    @property
    def display_name_number(self) -> str:
        """The number formatted for people: national in the organization's region, international otherwise."""
        return format_for_people(self.phone, region=organization_region(self.organization_id))

    @property
    def is_opted_out(self) -> bool:
        return self.opted_out_at is not None


class Conversation(models.Model):
    """The one thread between an organization and a contact.

    Invariants: one conversation per (organization, contact), enforced by the database;
    ``contact`` and ``phone_number`` belong to ``organization`` (checked by ``clean`` and
    by the services that create conversations); ``unread_count`` never goes below zero
    and is changed only by ``F()`` updates, so concurrent messages never lose an increment.

    ``version`` counts the row's updates: the database adds one on every UPDATE, whatever the
    statement set (``TRIGGERS`` below), so updates of one row have increasing versions in
    the order they commit, and no code path can forget it. Live inboxes order the rows they hear
    by it (``conversations.payloads.conversation_payload``).

    Status, a state machine (``snoozed`` is a status, so "Open" and "Closed" never list a snoozed thread and
    the status index serves the "Snoozed" filter too)::

        open ⇄ closed                       conversation_set_status / conversation_update
        open | closed → snoozed             conversation_snooze (until a time, or until the customer replies)
        snoozed → open                      woken: the time came (conversations_wake_due, swept by the worker),
                                            a message arrived (message_receive), or staff unsnoozed it
        snoozed → closed                    closed by staff (the snooze is dropped)

    Invariant (check constraint ``conversation_snooze_consistent``): a snoozed conversation has exactly one
    wake condition, ``snoozed_until`` (a time) or ``snooze_until_reply``; any other status has neither, and no
    ``snoozed_by``. Every service that leaves ``snoozed`` clears the three fields in the same UPDATE. The sweep
    finds due rows by ``conversation_snooze_due_idx`` and wakes each with a conditional UPDATE, so a restart
    never loses a wake-up and two sweepers never wake (or announce) one twice.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        SNOOZED = "snoozed", "Snoozed"

    # What staff may set directly (close/reopen); snoozing has its own service and needs a wake condition.
    SETTABLE_STATUSES = (Status.OPEN, Status.CLOSED)

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="conversations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    phone_number = models.ForeignKey(
        PhoneNumber,
        on_delete=models.RESTRICT,  # not while its organization's threads use it; deleting the organization is fine
        related_name="conversations",
        help_text="The organization's number this thread texts from.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    last_message_at = models.DateTimeField(default=timezone.now, help_text="Newest activity; orders the inbox.")
    last_message_preview = models.CharField(max_length=PREVIEW_LENGTH, blank=True)
    unread_count = models.PositiveIntegerField(default=0)
    snoozed_until = models.DateTimeField(
        null=True, blank=True, help_text="While snoozed until a time: when it comes back (swept by the worker)."
    )
    snooze_until_reply = models.BooleanField(default=False, help_text="Snoozed until the customer texts again.")
    snoozed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="Raised by one on every update of the row, by the database."
    )
    last_auto_reply_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the after-hours auto-reply last answered this contact (a conditional UPDATE claims it).",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "contact"], name="conversation_unique_org_contact"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "closed", "snoozed"]), name="conversation_status_valid"
            ),
            models.CheckConstraint(condition=Q(unread_count__gte=0), name="conversation_unread_nonnegative"),
            models.CheckConstraint(
                condition=(
                    Q(status="snoozed", snoozed_until__isnull=False, snooze_until_reply=False)
                    | Q(status="snoozed", snoozed_until__isnull=True, snooze_until_reply=True)
                    | (
                        ~Q(status="snoozed")
                        & Q(snoozed_until__isnull=True, snooze_until_reply=False, snoozed_by__isnull=True)
                    )
                ),
                name="conversation_snooze_consistent",
            ),
        ]
        indexes = [
            # Inbox list, "All": newest activity first, keyset on (last_message_at, id).
            models.Index(
                "organization", models.F("last_message_at").desc(), models.F("id").desc(), name="inbox_all_idx"
            ),
            # Inbox list, "Unread" filter.
            models.Index(
                "organization",
                models.F("last_message_at").desc(),
                models.F("id").desc(),
                name="inbox_unread_idx",
                condition=Q(unread_count__gt=0),
            ),
            # Inbox list, "Open" / "Closed" filters.
            models.Index(
                "organization",
                "status",
                models.F("last_message_at").desc(),
                models.F("id").desc(),
                name="inbox_status_idx",
            ),
            # The wake-up sweep: snoozed conversations whose time has come, soonest first.
            models.Index(
                "snoozed_until",
                name="conversation_snooze_due_idx",
                condition=Q(status="snoozed", snoozed_until__isnull=False),
            ),
            # Resync after a dropped websocket: what changed since a moment.
            models.Index(fields=["organization", "updated_at"], name="inbox_sync_idx"),
            # Inbox list, "Mine" / "Unassigned" filters.
            models.Index(
                "organization",
                "assignee",
                models.F("last_message_at").desc(),
                models.F("id").desc(),
                name="inbox_assignee_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.organization})"

    def clean(self) -> None:
        errors = {}
        if self.contact_id and self.organization_id and self.contact.organization_id != self.organization_id:
            errors["contact"] = "This contact belongs to another organization."
        if self.phone_number_id and self.organization_id and self.phone_number.organization_id != self.organization_id:
            errors["phone_number"] = "This number belongs to another organization."
        if errors:
            raise ValidationError(errors)


# Installed by migrations and after every migrate (``smsinbox.db_triggers``).
TRIGGERS = [
    Trigger(
        "conversation_same_organization",
        "conversations_conversation",
        ("INSERT", "UPDATE"),
        "(SELECT organization_id FROM conversations_contact WHERE id = NEW.contact_id) <> NEW.organization_id "
        "OR (SELECT organization_id FROM smsinbox_phonenumber WHERE id = NEW.phone_number_id) "
        "<> NEW.organization_id"
        " OR (OLD.organization_id IS NOT NULL AND OLD.organization_id <> NEW.organization_id)",
        "a conversation's contact and number belong to its organization, which never changes",
    ),
    Trigger(
        "contact_organization_fixed",
        "conversations_contact",
        ("UPDATE OF organization_id",),
        "NEW.organization_id <> OLD.organization_id "
        "AND EXISTS (SELECT 1 FROM conversations_conversation WHERE contact_id = OLD.id)",
        "a contact with conversations cannot move to another organization",
    ),
    # On the number's table, but about the conversations that use it: defined beside them.
    Trigger(
        "phonenumber_organization_fixed",
        "smsinbox_phonenumber",
        ("UPDATE OF organization_id",),
        "NEW.organization_id <> OLD.organization_id "
        "AND EXISTS (SELECT 1 FROM conversations_conversation WHERE phone_number_id = OLD.id)",
        "a number with conversations cannot move to another organization",
    ),
    VersionBump("conversation_version_bump", "conversations_conversation"),
    Trigger(
        "note_same_organization",
        "conversations_note",
        ("INSERT", "UPDATE"),
        "(SELECT organization_id FROM conversations_conversation WHERE id = NEW.conversation_id) <> NEW.organization_id"
        " OR (OLD.organization_id IS NOT NULL AND OLD.organization_id <> NEW.organization_id)",
        "a note's conversation belongs to its organization, which never changes",
    ),
    Trigger(
        "note_author_member",
        "conversations_note",
        ("INSERT",),
        "NEW.author_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM smsinbox_membership "
        "WHERE user_id = NEW.author_id AND organization_id = NEW.organization_id)",
        "a note's author is a member of its organization",
    ),
    Trigger(
        "note_mention_member",
        "conversations_notemention",
        ("INSERT", "UPDATE"),
        "NOT EXISTS (SELECT 1 FROM smsinbox_membership m JOIN conversations_note n "
        "ON n.organization_id = m.organization_id WHERE n.id = NEW.note_id AND m.user_id = NEW.user_id)",
        "a note mentions members of its organization only",
    ),
]


NOTE_MAX_LENGTH = 2000


class Note(models.Model):
    """A private note staff write in a thread: shown to colleagues between the texts, never sent to anyone.

    A note is not a message: it has its own table, so nothing that sends, counts unread or writes the
    conversation's preview ever sees one. Invariants, enforced by the database: a note's conversation
    belongs to the note's organization, which never changes, and its author was a member of it when it
    was written (``TRIGGERS`` below); its body is not blank and at most ``NOTE_MAX_LENGTH`` characters
    (check constraints). Its mentions name members of its organization only (``NoteMention``).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="notes")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="NoteMention", related_name="mentioned_in_notes", blank=True
    )

    # Thread items are told apart by this (templates and the merged thread listing).
    is_note = True

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.lookups.GreaterThan(Length(Trim("body")), 0), name="note_body_not_blank"
            ),
            models.CheckConstraint(
                condition=models.lookups.LessThanOrEqual(Length("body"), NOTE_MAX_LENGTH), name="note_body_length"
            ),
        ]
        indexes = [
            # The thread: a conversation's notes newest first, keyset on (created_at, id).
            models.Index("conversation", models.F("created_at").desc(), models.F("id").desc(), name="note_thread_idx"),
        ]

    def __str__(self) -> str:
        text = " ".join(self.body.split())
        return text if len(text) <= 60 else text[:59] + "…"


class NoteMention(models.Model):
    """A member of the note's organization named in it with ``@username``.

    Invariant (a database trigger): the mentioned user is a member of the note's organization when the
    mention is stored; one row per (note, user).
    """

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="mention_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="note_mentions")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "user"], name="note_mention_unique")]
        indexes = [
            # "Mentions": the notes that name a user, newest first.
            models.Index("user", models.F("note").desc(), name="note_mention_user_idx"),
        ]

    def __str__(self) -> str:
        return f"@{self.user} in note {self.note_id}"


# A note's mentions with their users, in one query (what ``note_payload`` reads).
NOTE_MENTIONS = models.Prefetch("mention_rows", queryset=NoteMention.objects.select_related("user"))


# --- Canned replies ----------------------------------------------------------------------------

CANNED_NAME_MAX_LENGTH = 100
CANNED_SHORTCUT_MAX_LENGTH = 32
# A shortcut is what follows "/" in the composer: lower-case letters, digits, "-" and "_", starting with a
# letter or digit (the picker's query is read with the same characters).
CANNED_SHORTCUT_REGEX = r"^[a-z0-9][a-z0-9_-]*$"
# A canned reply is a text: at most what one message may be (``messaging.segments.MAX_BODY_CHARACTERS``;
# that module is a layer above, so the number is repeated here and a test holds the two equal).
CANNED_BODY_MAX_LENGTH = 1600


class CannedReply(models.Model):
    """A saved answer staff insert in the composer by typing ``/shortcut``.

    ``owner`` empty: shared with the whole organization (managed by its admins); set: personal, seen and
    managed by that member only. Invariants, enforced by the database: a shortcut is unique among the
    organization's shared replies, and among each member's personal ones (partial unique constraints;
    a personal reply may reuse a shared shortcut, and the picker shows both, marked "Mine" and "Shared");
    the shortcut matches ``CANNED_SHORTCUT_REGEX``; name and body are not blank and the body is at most
    ``CANNED_BODY_MAX_LENGTH`` characters (check constraints); a personal reply's owner is a member of its
    organization, which never changes (``TRIGGERS``). The body's ``{{variables}}`` and ``[[placeholders]]``
    are read by ``conversations.canned``.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="canned_replies")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,  # a personal reply goes with its owner
        related_name="canned_replies",
        help_text="Empty: shared with the whole organization. Set: this member's personal reply.",
    )
    name = models.CharField(max_length=CANNED_NAME_MAX_LENGTH)
    shortcut = models.CharField(
        max_length=CANNED_SHORTCUT_MAX_LENGTH,
        help_text="Typed after / in the composer: lower-case letters, digits, - and _.",
    )
    body = models.TextField(
        help_text="Plain text. {{contact.first_name|there}} fills a variable (after | : used when empty); "
        "[[time]] is a placeholder staff type before sending."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "canned replies"
        ordering = ["shortcut", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "shortcut"],
                condition=Q(owner__isnull=True),
                name="canned_shared_shortcut_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "owner", "shortcut"],
                condition=Q(owner__isnull=False),
                name="canned_personal_shortcut_unique",
            ),
            models.CheckConstraint(condition=Q(shortcut__regex=CANNED_SHORTCUT_REGEX), name="canned_shortcut_valid"),
            models.CheckConstraint(
                condition=models.lookups.GreaterThan(Length(Trim("name")), 0), name="canned_name_not_blank"
            ),
            models.CheckConstraint(
                condition=models.lookups.GreaterThan(Length(Trim("body")), 0), name="canned_body_not_blank"
            ),
            models.CheckConstraint(
                condition=models.lookups.LessThanOrEqual(Length("body"), CANNED_BODY_MAX_LENGTH),
                name="canned_body_length",
            ),
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut} · {self.name}"

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


TRIGGERS += [
    Trigger(
        "canned_owner_member",
        "conversations_cannedreply",
        ("INSERT", "UPDATE"),
        "(NEW.owner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM smsinbox_membership "
        "WHERE user_id = NEW.owner_id AND organization_id = NEW.organization_id))"
        " OR (OLD.organization_id IS NOT NULL AND OLD.organization_id <> NEW.organization_id)",
        "a personal canned reply's owner is a member of its organization, which never changes",
    ),
]


# --- Labels and saved views --------------------------------------------------------------------

# The fixed palette a label's colour is chosen from: a key is stored, never CSS. Each colour is a
# background with its text colour, both checked for contrast (WCAG AA, 4.5:1) by the browser tests' axe run.
LABEL_COLORS: dict[str, dict[str, str]] = {
    "gray": {"label": "Gray", "background": "#e5e7eb", "text": "#1f2937"},
    "red": {"label": "Red", "background": "#fee2e2", "text": "#991b1b"},
    "orange": {"label": "Orange", "background": "#ffedd5", "text": "#9a3412"},
    "yellow": {"label": "Yellow", "background": "#fef9c3", "text": "#854d0e"},
    "green": {"label": "Green", "background": "#dcfce7", "text": "#166534"},
    "teal": {"label": "Teal", "background": "#ccfbf1", "text": "#115e59"},
    "blue": {"label": "Blue", "background": "#dbeafe", "text": "#1e40af"},
    "purple": {"label": "Purple", "background": "#f3e8ff", "text": "#6b21a8"},
    "pink": {"label": "Pink", "background": "#fce7f3", "text": "#9d174d"},
}
LABEL_NAME_MAX_LENGTH = 50


class Label(models.Model):
    """A label an organization sorts its conversations and contacts with.

    Invariants, enforced by the database: a name is not blank and unique in its organization whatever its
    case (``label_unique_org_name`` on ``Lower(name)``); the colour is a key of ``LABEL_COLORS``; a label is
    attached only to conversations and contacts of its own organization (triggers on the two link tables).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=LABEL_NAME_MAX_LENGTH)
    color = models.CharField(max_length=10, default="gray")
    created_at = models.DateTimeField(auto_now_add=True)
    conversations = models.ManyToManyField(Conversation, through="ConversationLabel", related_name="labels", blank=True)
    contacts = models.ManyToManyField(Contact, through="ContactLabel", related_name="labels", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="label_unique_org_name"),
            models.CheckConstraint(
                condition=models.lookups.GreaterThan(Length(Trim("name")), 0), name="label_name_not_blank"
            ),
            models.CheckConstraint(condition=Q(color__in=list(LABEL_COLORS)), name="label_color_in_palette"),
        ]

    def __str__(self) -> str:
        return self.name


class ConversationLabel(models.Model):
    """A label on a conversation (one row per pair); both belong to one organization (a trigger)."""

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="conversation_rows")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="label_rows")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "label"], name="conversation_label_unique")]
        indexes = [models.Index(fields=["label", "conversation"], name="conversation_label_idx")]

    def __str__(self) -> str:
        return f"label {self.label_id} on conversation {self.conversation_id}"


class ContactLabel(models.Model):
    """A label on a contact (one row per pair); both belong to one organization (a trigger)."""

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="contact_rows")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="label_rows")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "label"], name="contact_label_unique")]
        indexes = [models.Index(fields=["label", "contact"], name="contact_label_idx")]

    def __str__(self) -> str:
        return f"label {self.label_id} on contact {self.contact_id}"


SAVED_VIEW_NAME_MAX_LENGTH = 50


class SavedView(models.Model):
    """A named combination of the conversation list's filters, kept for its owner or shared with the organization.

    Filters: ``status`` (blank: any), ``assigned`` (blank, ``me`` or ``unassigned``), ``label``, ``unread``
    (only unread), ``q`` (search). Invariants, enforced by the database: the label is of the view's organization
    and the owner was a member of it when the view was made (triggers); names are unique per owner and
    organization whatever their case. Deleting the label deletes the views that filter by it.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="saved_views")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=SAVED_VIEW_NAME_MAX_LENGTH)
    shared = models.BooleanField(default=False, help_text="Shown to every member of the organization.")
    status = models.CharField(max_length=10, blank=True)
    assigned = models.CharField(max_length=12, blank=True)
    label = models.ForeignKey(Label, null=True, blank=True, on_delete=models.CASCADE, related_name="saved_views")
    unread = models.BooleanField(default=False)
    q = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("organization", "owner", Lower("name"), name="saved_view_unique_name"),
            models.CheckConstraint(
                condition=models.lookups.GreaterThan(Length(Trim("name")), 0), name="saved_view_name_not_blank"
            ),
            models.CheckConstraint(condition=Q(status__in=["", "open", "closed"]), name="saved_view_status_valid"),
            models.CheckConstraint(
                condition=Q(assigned__in=["", "me", "unassigned"]), name="saved_view_assigned_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def list_filters(self) -> dict[str, object]:
        """The view as arguments of ``messaging.selectors.conversation_list``."""
        filters: dict[str, object] = {"q": self.q}
        if self.status:
            filters["status"] = self.status
        if self.assigned:
            filters["assigned"] = self.assigned
        if self.label_id:
            filters["label"] = self.label_id
        if self.unread:
            filters["unread"] = True
        return filters


# Triggers of the labels' link tables and of saved views (installed by 0011_labels).
TRIGGERS += [
    Trigger(
        "conversation_label_same_organization",
        "conversations_conversationlabel",
        ("INSERT", "UPDATE"),
        "(SELECT organization_id FROM conversations_label WHERE id = NEW.label_id) "
        "<> (SELECT organization_id FROM conversations_conversation WHERE id = NEW.conversation_id)",
        "a conversation's labels belong to its organization",
    ),
    Trigger(
        "contact_label_same_organization",
        "conversations_contactlabel",
        ("INSERT", "UPDATE"),
        "(SELECT organization_id FROM conversations_label WHERE id = NEW.label_id) "
        "<> (SELECT organization_id FROM conversations_contact WHERE id = NEW.contact_id)",
        "a contact's labels belong to its organization",
    ),
    Trigger(
        "label_organization_fixed",
        "conversations_label",
        ("UPDATE OF organization_id",),
        "NEW.organization_id <> OLD.organization_id",
        "a label never moves to another organization",
    ),
    Trigger(
        "saved_view_same_organization",
        "conversations_savedview",
        ("INSERT", "UPDATE"),
        "(NEW.label_id IS NOT NULL AND (SELECT organization_id FROM conversations_label WHERE id = NEW.label_id) "
        "<> NEW.organization_id) OR (OLD.organization_id IS NOT NULL AND OLD.organization_id <> NEW.organization_id)",
        "a saved view's label belongs to its organization, which never changes",
    ),
    Trigger(
        "saved_view_owner_member",
        "conversations_savedview",
        ("INSERT",),
        "NOT EXISTS (SELECT 1 FROM smsinbox_membership WHERE user_id = NEW.owner_id "
        "AND organization_id = NEW.organization_id)",
        "a saved view's owner is a member of its organization",
    ),
]


# --- The activity log ------------------------------------------------------------------------------


class ConversationEvent(models.Model):
    """One change of a conversation, stored in the transaction that made it: the thread's activity.

    Written only by ``conversations.activity.activity_record``, which the services call when the state
    actually changed (their conditional UPDATEs say so), so a retried webhook or a repeated click writes none.
    ``actor`` is the staff member who did it; null is the system or the contact (a keyword, a wake-up).
    ``data`` holds what the one-line sentence needs, as it was then (names, not only ids): ``by`` (the
    actor's name), ``assignee_id``/``assignee_name``, ``label_id``/``label_name``/``label_color``,
    ``until``/``until_reply``, ``reason``, ``method``/``keyword``. Invariants, enforced by the database: the
    kind is one of ``Kind``; the conversation belongs to the event's organization (a trigger).
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        UNASSIGNED = "unassigned", "Unassigned"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        LABELLED = "labelled", "Label added"
        UNLABELLED = "unlabelled", "Label removed"
        SNOOZED = "snoozed", "Snoozed"
        WOKEN = "woken", "Back from snooze"
        OPTED_OUT = "opted_out", "Opted out"
        OPTED_IN = "opted_in", "Opted back in"
        SENDER_CHANGED = "sender_changed", "Sending number changed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="conversation_events")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Thread items are told apart by this (templates and the merged thread listing).
    is_event = True

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "assigned", "unassigned", "closed", "reopened", "labelled",
                        "unlabelled", "snoozed", "woken", "opted_out", "opted_in", "sender_changed",
                    ]
                ),
                name="conversation_event_kind_valid",
            ),
        ]  # fmt: skip
        indexes = [
            # The thread: a conversation's events newest first, keyset on (created_at, id).
            models.Index(
                "conversation", models.F("created_at").desc(), models.F("id").desc(), name="conversation_event_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.conversation_id})"

    @property
    def sentence(self) -> tuple[str, object, str]:
        """What the thread's row says: (before, a time or None, after); written by ``conversations.activity``."""
        from conversations.activity import activity_sentence  # the one place the sentence is written

        return activity_sentence(self)


TRIGGERS += [
    Trigger(
        "conversation_event_same_organization",
        "conversations_conversationevent",
        ("INSERT", "UPDATE"),
        "(SELECT organization_id FROM conversations_conversation WHERE id = NEW.conversation_id)"
        " <> NEW.organization_id",
        "an activity event's conversation belongs to its organization",
    ),
]


# --- Merge and erase ---------------------------------------------------------------------------


class ContactAlias(models.Model):
    """Another number of a contact: the number of a contact merged into it (``conversations.merge``).

    Routing: a text from an alias lands in the contact's one conversation (``messaging.services.inbound``
    finds the conversation by the contact's number or by an alias), and ``contact_get_or_create`` returns
    the contact for it, so no new contact is made for a merged number. Invariants, enforced by the
    database: one row per (organization, number) (``contact_alias_unique_org_phone``); a number is either a
    contact's own number or an alias in an organization, never both, and an alias belongs to its contact's
    organization (triggers ``contact_phone_not_alias`` and ``contact_alias_consistent``).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contact_aliases")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="aliases")
    phone = models.CharField(max_length=32, help_text="E.164")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contact", "id"]
        verbose_name = "merged number"
        constraints = [
            models.UniqueConstraint(fields=["organization", "phone"], name="contact_alias_unique_org_phone"),
            models.CheckConstraint(condition=Q(phone__regex=E164_REGEX), name="contact_alias_phone_e164"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} → contact {self.contact_id}"

    @property
    def display_number(self) -> str:
        return format_for_people(self.phone, region=organization_region(self.organization_id))


class ContactMerge(models.Model):
    """Audit: ``merged_by`` merged contact ``merged_contact_id`` (its number and name then) into ``kept_contact``.

    Part of the kept contact's history: erasing that contact deletes these rows with it (they name a number).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contact_merges")
    kept_contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges")
    merged_contact_id = models.PositiveBigIntegerField()
    merged_phone = models.CharField(max_length=32)
    merged_name = models.CharField(max_length=201, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    moved = models.JSONField(default=dict, blank=True, help_text="Rows moved to the kept contact, by model.")

    class Meta:
        ordering = ["-merged_at", "-id"]
        verbose_name = "merge record"

    def __str__(self) -> str:
        return f"contact {self.merged_contact_id} merged into {self.kept_contact_id}"


class ContactErasure(models.Model):
    """Audit of an erasure: who erased which contact (by id only) when, and how many rows went — no content.

    Twilio's copies of the messages are deleted after commit by a task (``messaging.services.erase``);
    ``twilio_pending`` lists the SIDs still to delete (emptied as they go) and ``twilio_status`` moves
    pending → done | failed (``none`` when nothing was at Twilio).
    """

    class TwilioStatus(models.TextChoices):
        NONE = "none", "Nothing at Twilio"
        PENDING = "pending", "Deleting at Twilio"
        DONE = "done", "Deleted at Twilio"
        FAILED = "failed", "Some could not be deleted at Twilio"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contact_erasures")
    erased_contact_id = models.PositiveBigIntegerField()
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)
    removed = models.JSONField(default=dict, blank=True, help_text="Rows deleted, by model (app_label.Model).")
    media_files_removed = models.PositiveIntegerField(default=0)
    webhook_events_removed = models.PositiveIntegerField(default=0)
    twilio_status = models.CharField(max_length=10, choices=TwilioStatus.choices, default=TwilioStatus.NONE)
    twilio_pending = models.JSONField(default=list, blank=True, help_text="Message SIDs still to delete at Twilio.")
    twilio_deleted = models.PositiveIntegerField(default=0)
    twilio_failed = models.PositiveIntegerField(default=0)
    twilio_attempts = models.PositiveSmallIntegerField(default=0)
    twilio_error = models.CharField(max_length=300, blank=True)
    twilio_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-erased_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(twilio_status__in=["none", "pending", "done", "failed"]), name="erasure_twilio_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"contact {self.erased_contact_id} erased"


TRIGGERS += [
    Trigger(
        "contact_phone_not_alias",
        "conversations_contact",
        ("INSERT", "UPDATE OF phone"),
        "EXISTS (SELECT 1 FROM conversations_contactalias a "
        "WHERE a.organization_id = NEW.organization_id AND a.phone = NEW.phone)",
        "this number is another contact's merged number",
    ),
    Trigger(
        "contact_alias_consistent",
        "conversations_contactalias",
        ("INSERT", "UPDATE"),
        "(SELECT organization_id FROM conversations_contact WHERE id = NEW.contact_id) <> NEW.organization_id "
        "OR EXISTS (SELECT 1 FROM conversations_contact c WHERE c.organization_id = NEW.organization_id "
        "AND c.phone = NEW.phone)",
        "an alias belongs to its contact's organization and is no contact's own number",
    ),
]


IMPORT_FILE_MAX_BYTES = 20 * 1024 * 1024  # 100,000 rows of a few columns are ~5 MB


class ContactImport(models.Model):
    """One CSV import of contacts, run in the background (``conversations.import_jobs``).

    State machine: ``draft`` (uploaded, columns being mapped) → ``queued`` (started by staff) → ``running`` →
    ``done`` or ``failed``; a draft may be discarded (deleted). Each move is a conditional UPDATE from the state
    before it, so a double click or a second worker never starts or finishes one twice.

    Invariant: ``position`` (the file's row number of the last row whose batch committed) rises only with the
    batch it covers, in the same transaction, together with the counts and the error rows: a worker killed
    mid-way leaves a job whose counts match what is stored, and the next run resumes after ``position``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Not started"
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contact_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(max_length=255)
    data = models.BinaryField(help_text="The uploaded file, as it came.")
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, help_text="Column (phone, first_name, …) → the file's column index.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    total_rows = models.PositiveIntegerField(default=0, help_text="Non-blank data rows in the file.")
    processed_rows = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=1, help_text="File row number of the last committed row.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error_rows = models.JSONField(default=list, help_text="[row, outcome, value, reason] of each error and duplicate.")
    check_line_types = models.BooleanField(
        default=False, help_text="Check each imported number with Twilio Lookup and flag landlines."
    )
    landlines = models.PositiveIntegerField(default=0, help_text="Numbers Twilio Lookup said are landlines.")
    unknown_labels = models.JSONField(default=list)
    failure = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="contact_import_org_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "queued", "running", "done", "failed"]),
                name="contact_import_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("total_rows")), name="contact_import_progress_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.file_name}"

    @property
    def percent(self) -> int:
        return 100 if not self.total_rows else min(100, self.processed_rows * 100 // self.total_rows)
