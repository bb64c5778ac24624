"""``messages_retry``: send failed messages again, each as a new outbound message through ``message_send``.

A retry is a NEW message (its own row, status ``pending``, delivered by the durable pipeline) with the
original's body and media, ``retry_of`` naming the original, and a ``retried`` event on the original. Files the
original attached are sent as fresh copies (``attachments_for_resend``): their own public URLs, since the
original's ended minutes after Twilio fetched them. A retry refused after its copies were stored rolls their rows
back and deletes their files (storage is not transactional).
Only what ``messaging.error_codes.error_is_retryable`` allows is retried; everything else is skipped
with a reason (``RetrySkip``), never raised.

Never twice: the idempotency key is ``retry:<original id>:<retry number>``, the number being one more
than the original's retries so far; two concurrent requests for the same original compute the same
key, and the organization's unique key makes the second one return the first (``message_send``). A
request arriving after a retry was stored finds it still on its way (or delivered) and skips
(``already_retried``); only when every earlier retry failed is a next one made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from conversations.services import conversation_lock
from messaging.attachments.services import Resend, attachment_file_delete, attachments_for_resend
from messaging.error_codes import error_is_retryable, error_meaning
from messaging.models import Direction, Message, MessageEvent
from messaging.services.outbound import message_send
from messaging.statuses import FAILURE_STATUSES
from smsinbox.audit.services import Action, audit_record
from smsinbox.errors import ServiceError
from smsinbox.models import Organization, User

MAX_RETRY_IDS = 100

NOT_FOUND = "not_found"
NOT_FAILED = "not_failed"
NOT_RETRYABLE = "not_retryable"
OPTED_OUT = "opted_out"
ALREADY_RETRIED = "already_retried"


@dataclass(frozen=True)
class Retried:
    id: int
    new_id: int


@dataclass(frozen=True)
class RetrySkip:
    id: int
    reason: str  # one of the constants above, or the code of ``message_send``'s refusal
    code: int | None  # the original's Twilio error code
    message: str  # what staff read


@dataclass
class RetryResult:
    retried: list[Retried] = field(default_factory=list)
    skipped: list[RetrySkip] = field(default_factory=list)


def retry_refusal(message: Message) -> RetrySkip | None:
    """Why ``message`` may not be retried (``None``: it may): the one rule the page, the bubble and the API follow."""
    code = message.error_code
    if message.direction != Direction.OUTBOUND or message.status not in FAILURE_STATUSES:
        return RetrySkip(message.pk, NOT_FAILED, code, "Only a failed or undelivered message can be retried.")
    if not error_is_retryable(code):
        return RetrySkip(message.pk, NOT_RETRYABLE, code, f"Not retried: {error_meaning(code) or 'no error code'}")
    if message.conversation.contact.is_opted_out:
        return RetrySkip(message.pk, OPTED_OUT, code, "Not retried: the contact has opted out.")
    return None


def _ids(message_ids: Iterable[object]) -> list[int]:
    ids: list[int] = []
    for raw in message_ids:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
            raise ServiceError("messageIds must be a list of message ids.", field="messageIds")
        if raw not in ids:
            ids.append(raw)
    if not ids:
        raise ServiceError("Choose at least one message to retry.", field="messageIds")
    if len(ids) > MAX_RETRY_IDS:
        raise ServiceError(f"At most {MAX_RETRY_IDS} messages at once.", field="messageIds")
    return ids


def messages_retry(*, organization: Organization, user: User | None, message_ids: Iterable[object]) -> RetryResult:
    """Retry each failed message of ``organization`` named in ``message_ids`` (in that order).

    Each retry is its own transaction (``_retry_one``): one message's refusal or a lock wait on one
    conversation never holds or undoes another's, and the locks are those of one ``message_send``.
    An id of another organization, or of no message, is skipped as ``not_found``, like a missing one.
    """
    ids = _ids(message_ids)
    found = {
        m.pk: m
        for m in Message.objects.filter(organization=organization, pk__in=ids)
        .select_related("conversation__contact")
        .prefetch_related("media")
    }
    result = RetryResult()
    for pk in ids:
        original = found.get(pk)
        if original is None:
            result.skipped.append(RetrySkip(pk, NOT_FOUND, None, "No such message."))
            continue
        outcome = _retry_one(organization=organization, user=user, original=original)
        (result.retried if isinstance(outcome, Retried) else result.skipped).append(outcome)
    return result


def _forget(copies: Resend) -> None:
    """The stored files of copies whose rows were rolled back."""
    for path in copies.paths:
        attachment_file_delete(path=path)


@transaction.atomic
def _retry_one(*, organization: Organization, user: User | None, original: Message) -> Retried | RetrySkip:
    """One retry, under the original's row lock (``SELECT … FOR UPDATE``): its retries are counted and the
    new one stored while no other retry of it can be, so the retry number is settled."""
    refusal = retry_refusal(original)
    if refusal is not None:
        return refusal
    Message.objects.select_for_update().filter(pk=original.pk).first()
    earlier = list(Message.objects.filter(retry_of=original).values_list("status", flat=True))
    if any(status not in FAILURE_STATUSES for status in earlier):
        return RetrySkip(original.pk, ALREADY_RETRIED, original.error_code, "Already retried.")
    number = len(earlier) + 1
    copies = Resend()
    try:
        with transaction.atomic():  # the attachments' copies and the resend, or neither
            conversation_lock(conversation_id=original.conversation_id)  # message_send's lock order
            attachments_for_resend(message_id=original.pk, resend=copies)
            sent = message_send(
                organization=organization,
                sender=user,
                contact=original.conversation.contact,
                body=original.body,
                media_urls=[m.url for m in original.media.all() if m.position not in copies.positions],
                attachment_ids=copies.ids,
                idempotency_key=f"retry:{original.pk}:{number}",
                confirm=True,  # the retry is of a message staff chose; the send guard is for new replies
                retry_of=original,
            )
    except ServiceError as exc:
        _forget(copies)
        return RetrySkip(original.pk, exc.code, original.error_code, exc.message)
    except BaseException:
        _forget(copies)
        raise
    if sent.created:
        audit_record(
            organization=organization,
            action=Action.MESSAGES_RETRIED,
            actor=user,
            target_type="message",
            target_id=original.pk,
            label=f"message #{original.pk}",
            changes={"retry_id": sent.message.pk},
        )
        MessageEvent.objects.create(
            message=original,
            event_type=MessageEvent.Type.RETRIED,
            payload={"retry_id": sent.message.pk, "retry_number": number, "by": user.pk if user else None},
            dedupe_key=f"retry:{number}",
        )
    return Retried(original.pk, sent.message.pk)
