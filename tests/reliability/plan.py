"""What a retry storm sends: real-shaped, validly signed Twilio posts, built through the real services."""

from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse

from conversations.services import contact_get_or_create
from messaging.segments import segment_info
from messaging.services.outbound import message_send
from smsinbox.models import Organization, PhoneNumber, User
from smsinbox.services import organization_setup
from tests.twilio_posts import inbound_params, new_sid, sign, status_params

# A plausible life of an outbound SMS, as its status callbacks tell it: (weight, statuses, error codes).
# The last status is the furthest along, so it is the message's true final status.
OUTCOMES: list[tuple[int, tuple[str, ...], tuple[int, ...]]] = [
    (55, ("queued", "sending", "sent", "delivered"), ()),
    (10, ("queued", "sent", "delivered"), ()),
    (12, ("queued", "sending", "sent", "undelivered"), (30003, 30005, 30006)),
    (10, ("queued", "sending", "failed"), (30007, 30008)),
    (3, ("queued", "failed"), (30001,)),
    (10, ("queued", "sending", "sent"), ()),  # the carrier never confirmed: it stays sent
]
INBOUND_BODIES = [
    "Hi, is my order ready?",
    "Can we move it to 3pm?",
    "Thanks, see you Thursday",
    "What time do you open tomorrow?",
    "Merci beaucoup, à demain",
    "On my way 🚗",
    "Is the parking still free? " + "I will be there with two friends and a dog, " * 3,
]
LATE_COPY = 0.1  # share of posts that arrive long after their siblings (a retry after a timeout)
SPREAD = 2.0  # a message's posts land among this many neighbouring messages' posts, so they race


@dataclass(frozen=True)
class Post:
    """One webhook request exactly as Twilio would send it (the same bytes on every retry)."""

    kind: str  # "inbound" or "status"
    path: str
    query: str
    params: dict[str, str]
    signature: str
    token: str  # I-Twilio-Idempotency-Token: the same on every copy


@dataclass(frozen=True)
class Outbound:
    """An outbound message and the callbacks Twilio reports for it."""

    message_id: int
    sid: str
    statuses: tuple[str, ...]
    error_code: int | None

    @property
    def final(self) -> str:
        return self.statuses[-1]


@dataclass
class Plan:
    organization: Organization
    number: str
    inbound: dict[str, str]  # MessageSid -> the contact's number
    inbound_media: dict[str, int]  # MessageSid -> media items
    outbound: list[Outbound]
    contacts: set[str]  # every contact number the storm touches
    posts: list[Post] = field(default_factory=list)


def webhook_base() -> tuple[str, str, bool]:
    """The URL Twilio calls (what signatures cover), the Host header and whether the request is HTTPS.

    With ``PUBLIC_BASE_URL`` the signature covers it whatever the request's own URL; requests are
    HTTPS when it is, or when ``SECURE_SSL_REDIRECT`` would otherwise redirect them.
    """
    redirect = bool(settings.SECURE_SSL_REDIRECT)
    if settings.PUBLIC_BASE_URL:
        parts = urlsplit(settings.PUBLIC_BASE_URL)
        return settings.PUBLIC_BASE_URL.rstrip("/"), parts.netloc, redirect or parts.scheme == "https"
    return f"{'https' if redirect else 'http'}://testserver", "testserver", redirect


def _post(kind: str, route: str, params: dict[str, str], query: str = "") -> Post:
    path = reverse(route)
    base, _, _ = webhook_base()
    url = f"{base}{path}?{query}" if query else f"{base}{path}"
    return Post(kind, path, query, params, sign(url, params), str(uuid.uuid4()))


def contact_number(k: int) -> str:
    return f"+1415{5550000 + k:07d}"


def _free_org_number(rng: random.Random) -> str:
    while True:
        number = f"+1628{rng.randrange(2000000, 9999999):07d}"
        if not PhoneNumber.objects.filter(number=number).exists():
            return number


def _organization(rng: random.Random) -> tuple[Organization, User, str]:
    token = uuid.uuid4().hex[:10]
    number = _free_org_number(rng)
    setup = organization_setup(
        name=f"Retry storm {token}", numbers=[number], username=f"storm-{token}", password=secrets.token_urlsafe(16)
    )
    return setup.organization, setup.user, number


def _inbound(plan: Plan, rng: random.Random, *, count: int, copies: int) -> list[list[Post]]:
    """Inbound messages from a few chatty contacts and many occasional ones; ``copies`` posts of each."""
    numbers = [contact_number(k) for k in range(max(1, count // 5))]
    weights = [1 / (k + 1) ** 0.8 for k in range(len(numbers))]
    groups = []
    for i in range(count):
        from_ = rng.choices(numbers, weights)[0]
        body = f"{rng.choice(INBOUND_BODIES)} (#{i})"
        media = []
        if rng.random() < 0.05:
            media = [("", "image/jpeg") for _ in range(rng.randint(1, 3))]
        sid = new_sid("MM" if media else "SM")
        media = [
            (
                f"https://api.twilio.com/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages/{sid}/Media/"
                f"ME{uuid.uuid4().hex}",
                content_type,
            )
            for _, content_type in media
        ]
        params = inbound_params(
            to=plan.number,
            from_=from_,
            body=body,
            sid=sid,
            media=media,
            NumSegments=str(segment_info(body).segments),
        )
        plan.inbound[sid] = from_
        plan.inbound_media[sid] = len(media)
        plan.contacts.add(from_)
        post = _post("inbound", "twilio:sms-incoming", params)
        groups.append([post] * copies)
    return groups


def _outbound(plan: Plan, user: User, rng: random.Random, *, count: int, inbound: int) -> list[list[Post]]:
    """Outbound messages sent through ``message_send``; each one's callbacks 2–3 times, carrying ``?m=<id>``.

    Half the recipients also text in, so their threads mix both directions. The message is never
    handed to Twilio here: its callbacks bind its SID through ``?m=``, as when Twilio's answer to
    the send is lost and the callbacks arrive first.
    """
    offset = max(1, inbound // 5) // 2
    recipients = [contact_number(offset + k) for k in range(max(1, count // 4))]
    contacts = {}
    groups = []
    for j in range(count):
        phone = rng.choice(recipients)
        if phone not in contacts:
            contacts[phone], _ = contact_get_or_create(organization=plan.organization, e164=phone)
        result = message_send(
            organization=plan.organization,
            sender=user,
            contact=contacts[phone],
            body=f"Your appointment #{j} is confirmed for tomorrow at 10:00.",
            idempotency_key=f"storm-{uuid.uuid4().hex}" if j % 2 else None,
        )
        _, statuses, codes = rng.choices(OUTCOMES, [w for w, _, _ in OUTCOMES])[0]
        message = Outbound(result.message.pk, new_sid("SM"), statuses, rng.choice(codes) if codes else None)
        plan.outbound.append(message)
        plan.contacts.add(phone)
        query = urlencode({"m": message.message_id})
        posts = []
        for status in statuses:
            extra = {}
            if status in {"failed", "undelivered"} and message.error_code is not None:
                extra["ErrorCode"] = str(message.error_code)
            if status in {"delivered", "undelivered"}:
                extra["RawDlrDoneDate"] = "2511291302"
            params = status_params(sid=message.sid, status=status, to=phone, from_=plan.number, **extra)
            posts += [_post("status", "twilio:sms-status", params, query)] * rng.randint(2, 3)
        groups.append(posts)
    return groups


def arrange(groups: list[list[Post]], rng: random.Random) -> list[Post]:
    """Shuffle every post; one message's posts stay close enough to race, except a few late retries."""
    rng.shuffle(groups)
    keyed = []
    for position, group in enumerate(groups):
        for post in group:
            late = rng.random() < LATE_COPY
            keyed.append((rng.uniform(0, len(groups)) if late else position + rng.uniform(0, SPREAD), len(keyed), post))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [post for _, _, post in keyed]


def build_plan(*, inbound: int, copies: int, outbound: int, seed: int) -> Plan:
    """Create a fresh organization, its outbound messages (real services), and every post of the storm."""
    rng = random.Random(seed)
    organization, user, number = _organization(rng)
    plan = Plan(organization, number, inbound={}, inbound_media={}, outbound=[], contacts=set())
    groups = _inbound(plan, rng, count=inbound, copies=copies)
    groups += _outbound(plan, user, rng, count=outbound, inbound=inbound)
    plan.posts = arrange(groups, rng)
    return plan
