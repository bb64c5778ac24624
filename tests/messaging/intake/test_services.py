"""The webhook intake: store-first keeps a signed post and a processor applies it; direct applies it and keeps
what a bug refused. Real signed posts through the test client; the processor's batch called as it calls it."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from messaging.intake import services as intake_services
from messaging.intake.models import WebhookPost
from messaging.intake.services import intake_backlog, webhook_posts_apply, webhook_posts_replay
from messaging.models import Message, MessageEvent
from tests.twilio_posts import inbound_params, post_signed, post_status

ORG_A_NUMBER = "+14155550001"
INCOMING = reverse("twilio:sms-incoming")
store_first = override_settings(WEBHOOK_INTAKE="store-first")


def _backoff_over() -> None:
    WebhookPost.objects.update(not_before=timezone.now() - timedelta(seconds=1))


@store_first
def test_store_first_keeps_the_post_once_and_the_processor_stores_the_message_once(client, org_a):
    params = inbound_params(to=ORG_A_NUMBER, body="Is the clinic open Saturday?")
    for _ in range(3):  # Twilio's retries of one post
        assert post_signed(client, INCOMING, params).status_code == 200
    post = WebhookPost.objects.get()
    assert (post.route, post.key, post.applied_at, post.fields["Body"]) == (
        "inbound", params["MessageSid"], None, "Is the clinic open Saturday?"
    )
    assert not Message.objects.exists()  # answered before it was applied
    assert intake_backlog(limit=10) == 1

    assert webhook_posts_apply() == 1
    message = Message.objects.get()
    assert (message.twilio_sid, message.body, message.conversation.unread_count) == (
        params["MessageSid"], "Is the clinic open Saturday?", 1
    )
    post.refresh_from_db()
    assert (post.outcome, post.applied_at is not None, post.not_before) == ("stored", True, None)
    assert webhook_posts_apply() == 0  # nothing pending
    assert post_signed(client, INCOMING, params).status_code == 200  # a retry after it was applied
    assert (WebhookPost.objects.count(), Message.objects.count(), intake_backlog(limit=10)) == (1, 1, 0)


@store_first
def test_status_callbacks_are_kept_per_status_and_applied_in_order_of_arrival(client, sent_message):
    for status in ("sending", "sent", "sent", "delivered"):
        assert post_status(client, sid=sent_message.twilio_sid, status=status).status_code == 200
    assert list(WebhookPost.objects.order_by("id").values_list("key", flat=True)) == [
        f"{sent_message.twilio_sid}:{s}::" for s in ("sending", "sent", "delivered")
    ]
    sent_message.refresh_from_db()
    assert sent_message.status == "queued"
    assert webhook_posts_apply() == 3
    sent_message.refresh_from_db()
    assert sent_message.status == "delivered"
    assert list(sent_message.events.values_list("status", flat=True)) == ["sending", "sent", "delivered"]
    assert set(WebhookPost.objects.values_list("outcome", flat=True)) == {"recorded"}


@store_first
def test_a_post_for_a_number_nobody_owns_is_applied_as_ignored_with_the_reason(client, org_a):
    assert post_signed(client, INCOMING, inbound_params(to="+13105550199")).status_code == 200
    assert webhook_posts_apply() == 1
    post = WebhookPost.objects.get()
    assert (post.outcome, post.error) == ("ignored", "no organization owns +13105550199")
    assert post.applied_at is not None
    assert not Message.objects.exists()


@store_first
def test_a_malformed_post_is_never_kept(client, org_a):
    broken = {k: v for k, v in inbound_params(to=ORG_A_NUMBER).items() if k != "From"}
    assert post_signed(client, INCOMING, broken).status_code == 200
    assert not WebhookPost.objects.exists()


@store_first
def test_a_bug_while_applying_is_retried_later_then_kept_for_a_replay(client, org_a, monkeypatch):
    params = inbound_params(to=ORG_A_NUMBER)
    post_signed(client, INCOMING, params)
    real = intake_services.message_receive

    def broken(**kwargs):
        raise RuntimeError("a bug in message_receive")

    monkeypatch.setattr(intake_services, "message_receive", broken)
    assert webhook_posts_apply() == 1
    post = WebhookPost.objects.get()
    assert (post.attempts, post.error, post.applied_at) == (1, "RuntimeError: a bug in message_receive", None)
    assert post.not_before > timezone.now()  # backs off: not tried again at once
    assert webhook_posts_apply() == 0

    with override_settings(INTAKE_MAX_ATTEMPTS=3):
        for _ in range(2):
            _backoff_over()
            assert webhook_posts_apply() == 1
        _backoff_over()
        assert webhook_posts_apply() == 0  # failed: waits for a replay
        assert intake_backlog(limit=10) == 0  # a failed post waits for a replay, not for a processor
        assert WebhookPost.objects.get().applied_at is None

        monkeypatch.setattr(intake_services, "message_receive", real)  # the fix
        assert webhook_posts_replay() == 1
        assert webhook_posts_apply() == 1
    assert Message.objects.get().twilio_sid == params["MessageSid"]
    post.refresh_from_db()
    assert (post.outcome, post.attempts) == ("stored", 0)


def test_direct_intake_keeps_a_post_a_bug_refused_and_a_replay_stores_it(client, org_a, monkeypatch):
    client.raise_request_exception = False
    params = inbound_params(to=ORG_A_NUMBER, body="Running late")
    real = intake_services.message_receive

    def broken(**kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(intake_services, "message_receive", broken)
    assert post_signed(client, INCOMING, params).status_code == 500  # Twilio will retry too
    post = WebhookPost.objects.get()
    assert (post.key, post.error, post.applied_at) == (params["MessageSid"], "KeyError: 'oops'", None)
    assert webhook_posts_apply() == 0  # failed: not retried by the processor

    monkeypatch.setattr(intake_services, "message_receive", real)
    assert webhook_posts_replay(ids=[post.pk]) == 1
    assert webhook_posts_apply() == 1
    assert post_signed(client, INCOMING, params).status_code == 200  # Twilio's retry: stored already
    assert Message.objects.get().body == "Running late"
    assert MessageEvent.objects.filter(event_type="received").count() == 1


def test_direct_intake_keeps_nothing_when_it_stores(client, org_a):
    assert post_signed(client, INCOMING, inbound_params(to=ORG_A_NUMBER)).status_code == 200
    assert Message.objects.count() == 1
    assert not WebhookPost.objects.exists()


@store_first
def test_a_processor_killed_while_applying_leaves_the_post_unapplied_for_the_next(client, org_a, monkeypatch):
    """A kill mid-apply (here SystemExit, which no ``except Exception`` stops) ends the post's transaction:
    nothing of the message is stored, the post is not marked, and the next processor applies it at once."""
    params = inbound_params(to=ORG_A_NUMBER)
    post_signed(client, INCOMING, params)
    real = intake_services.message_receive

    def killed(**kwargs):
        real(**kwargs)  # the message is written in the post's transaction …
        raise SystemExit("killed")  # … which then dies

    monkeypatch.setattr(intake_services, "message_receive", killed)
    with pytest.raises(SystemExit):
        webhook_posts_apply()
    assert not Message.objects.exists()
    post = WebhookPost.objects.get()
    assert (post.applied_at, post.attempts, post.not_before) == (None, 0, None)

    monkeypatch.setattr(intake_services, "message_receive", real)
    assert webhook_posts_apply() == 1
    assert Message.objects.get().twilio_sid == params["MessageSid"]


def test_a_database_outage_mid_batch_keeps_what_was_applied_and_sets_the_post_to_wait(client, org_a, monkeypatch):
    from django.db import OperationalError

    with store_first:
        for i in range(3):
            post_signed(client, INCOMING, inbound_params(to=ORG_A_NUMBER, from_=f"+1415555030{i}", body=f"n{i}"))
    real = intake_services.message_receive
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["sms"].body)
        if kwargs["sms"].body == "n1":
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(intake_services, "message_receive", flaky)
    with pytest.raises(OperationalError):
        webhook_posts_apply()
    assert list(Message.objects.values_list("body", flat=True)) == ["n0"]  # applied before it: kept
    waiting = WebhookPost.objects.get(fields__Body="n1")
    assert (waiting.applied_at, waiting.attempts) == (None, 0)  # not a bug: no attempt counted
    assert waiting.not_before > timezone.now()  # the next ones go first
    assert webhook_posts_apply() == 1
    assert sorted(Message.objects.values_list("body", flat=True)) == ["n0", "n2"]
    monkeypatch.setattr(intake_services, "message_receive", real)  # the database is back
    _backoff_over()
    assert webhook_posts_apply() == 1
    assert sorted(Message.objects.values_list("body", flat=True)) == ["n0", "n1", "n2"]


@store_first
def test_applying_a_post_twice_stores_it_once(client, org_a):
    """A processor killed after the message's commit but before the post was marked: applied again."""
    post_signed(client, INCOMING, inbound_params(to=ORG_A_NUMBER))
    assert webhook_posts_apply() == 1
    WebhookPost.objects.update(applied_at=None, outcome="")
    assert webhook_posts_apply() == 1
    assert Message.objects.count() == 1
    assert WebhookPost.objects.get().outcome == "repeated"


@store_first
def test_readyz_is_not_ready_above_the_intake_backlog(client, org_a):
    assert client.get("/readyz").status_code == 200
    for _ in range(2):
        post_signed(client, INCOMING, inbound_params(to=ORG_A_NUMBER))
    with override_settings(READY_MAX_INTAKE_BACKLOG=1):
        assert client.get("/readyz").status_code == 503
        webhook_posts_apply()
        assert client.get("/readyz").status_code == 200


def test_applied_posts_are_pruned_after_their_days(client, org_a, settings):
    """Every task worker's sweep deletes posts applied more than ``INTAKE_KEEP_DAYS`` ago (here 7)."""
    from messaging.intake.services import webhook_posts_prune

    assert settings.TASK_WORKER_SWEEPS["messaging.intake.services.webhook_posts_prune"] == "INTAKE_PRUNE_SECONDS"
    settings.INTAKE_KEEP_DAYS = 7
    with store_first:
        post_signed(client, INCOMING, inbound_params(to=ORG_A_NUMBER))
        post_signed(client, INCOMING, inbound_params(to=ORG_A_NUMBER))
    webhook_posts_apply(limit=1)
    assert webhook_posts_prune() == 0
    WebhookPost.objects.filter(applied_at__isnull=False).update(applied_at=timezone.now() - timedelta(days=8))
    assert webhook_posts_prune(older_than=timedelta(days=9)) == 0
    assert webhook_posts_prune() == 1  # as the sweep calls it
    assert WebhookPost.objects.get().applied_at is None  # the pending one stays
