"""The Broadcasts pages: compose with a preview before sending, the report with its controls and CSV export."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conversations.label_rows import contact_labels_replace
from conversations.labels import label_create
from conversations.services import contact_create
from messaging.broadcasts.models import Broadcast
from messaging.broadcasts.sending import broadcast_run
from messaging.broadcasts.services import broadcast_create
from smsinbox.models import User
from smsinbox.services import membership_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


def test_preview_shows_the_counts_and_only_then_offers_send(alice, org_a):
    dana = contact_create(organization=org_a.organization, phone="+14155550101", first_name="Dana")
    vip = label_create(organization=org_a.organization, name="VIP")
    contact_labels_replace(contact=dana, labels=[vip])
    page = alice.get("/broadcasts/new/")
    assert page.status_code == 200
    assert b'id="broadcast-send"' not in page.content
    upload = SimpleUploadedFile("list.csv", b"name,phone\nEve,+14155550102\nBad,12\n", "text/csv")
    previewed = alice.post(
        "/broadcasts/new/",
        {"body": "Hi {{contact.first_name|there}}", "labels": [str(vip.pk)], "numbers": "+14155550101", "file": upload,
         "action": "preview"},
    )  # fmt: skip
    html = previewed.content.decode()
    assert previewed.status_code == 200
    assert 'id="preview-recipients">2<' in html  # Dana (labelled and pasted: a duplicate) and Eve
    assert "Send to 2" in html
    assert "+14155550102" in html  # the file's numbers carried into the box, so the send is what was previewed
    assert Broadcast.objects.count() == 0
    sent = alice.post(
        "/broadcasts/new/",
        {"body": "Hi {{contact.first_name|there}}", "labels": [str(vip.pk)],
         "numbers": "+1 415 555 0101\n+14155550102\nnot a number", "action": "send"},
    )  # fmt: skip
    broadcast = Broadcast.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == f"/broadcasts/{broadcast.pk}/"
    assert broadcast.recipient_count == 2  # "+1 415 555 0101" is Dana's number, written with spaces
    assert broadcast.excluded_count == 1  # "not a number": one invalid entry


def test_a_later_start_is_read_in_the_viewers_zone_previewed_and_scheduled(alice, org_a):
    contact_create(organization=org_a.organization, phone="+14155550101", first_name="Dana")
    alice.cookies["tz"] = "America/Los_Angeles"
    zone = ZoneInfo("America/Los_Angeles")
    local = (timezone.now().astimezone(zone) + timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)
    form = {"body": "Open on Saturday", "numbers": "+14155550101", "start": "later",
            "send_at_local": local.strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    previewed = alice.post("/broadcasts/new/", {**form, "action": "preview"}).content.decode()
    assert f'datetime="{local.isoformat()}"' in previewed  # "Starts", in the viewer's zone
    assert "Schedule for 1" in previewed
    assert "America/Los_Angeles" in previewed
    sent = alice.post("/broadcasts/new/", {**form, "action": "send"})
    broadcast = Broadcast.objects.get()
    assert sent.status_code == 302
    assert broadcast.send_at == local
    assert DBTaskResult.objects.count() == 0  # no run now: the kick sweep starts it at its time
    report = alice.get(f"/broadcasts/{broadcast.pk}/").content.decode()
    assert f'id="broadcast-starts" datetime="{broadcast.send_at.isoformat()}"' in report
    assert "9:30 AM" in report  # in the viewer's zone (17:30 in UTC)


def test_a_start_changed_after_the_preview_is_previewed_again_not_sent(alice, org_a):
    contact_create(organization=org_a.organization, phone="+14155550101")
    local = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = {"body": "Hi", "numbers": "+14155550101", "start": "now", "send_at_local": local}
    page = alice.post("/broadcasts/new/", {**form, "action": "send", "previewed_start": local}).content.decode()
    assert "The start changed after the preview" in page  # the button said "Schedule for 1"; now is asked
    assert "Send to 1" in page
    assert Broadcast.objects.count() == 0
    sent = alice.post("/broadcasts/new/", {**form, "action": "send", "previewed_start": "now"})
    assert sent.status_code == 302
    assert Broadcast.objects.get().send_at is None


@pytest.mark.parametrize(
    ("send_at_local", "says"),
    [("", "Choose the date and time"), ("2020-01-01T09:00", "in the past"), ("tomorrow", "Choose a date and time")],
)
def test_a_later_start_that_cannot_be_is_refused_at_the_preview(alice, org_a, send_at_local, says):
    contact_create(organization=org_a.organization, phone="+14155550101")
    form = {"body": "Hi", "numbers": "+14155550101", "start": "later", "send_at_local": send_at_local}
    page = alice.post("/broadcasts/new/", {**form, "action": "preview"})
    assert page.status_code == 400
    assert says in page.content.decode()
    assert 'id="broadcast-send"' not in page.content.decode()


def test_an_unknown_variable_is_shown_on_the_form_as_a_400(alice, org_a):
    contact_create(organization=org_a.organization, phone="+14155550101")
    page = alice.post("/broadcasts/new/", {"body": "Hi {{contact.age}}", "numbers": "+14155550101", "action": "send"})
    assert page.status_code == 400
    assert "Unknown variable" in page.content.decode()
    assert Broadcast.objects.count() == 0


def test_the_report_shows_progress_controls_and_exports_csv(alice, org_a):
    dana = contact_create(organization=org_a.organization, phone="+14155550101", first_name="Dana")
    broadcast = broadcast_create(
        organization=org_a.organization, user=org_a.user, body="Hi", contact_ids=[dana.pk], numbers=["nope"]
    )
    page = alice.get(f"/broadcasts/{broadcast.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<progress id="broadcast-progress" max="2" value="1">' in html  # the invalid entry is settled
    assert "Pause" in html
    assert 'data-live="true"' in html
    assert alice.post(f"/broadcasts/{broadcast.pk}/pause/").status_code == 302
    assert Broadcast.objects.get(pk=broadcast.pk).state == "paused"
    assert "Resume" in alice.get(f"/broadcasts/{broadcast.pk}/").content.decode()
    refused = alice.post(f"/broadcasts/{broadcast.pk}/pause/", follow=True)
    assert "cannot be paused" in refused.content.decode()
    alice.post(f"/broadcasts/{broadcast.pk}/resume/")
    broadcast_run(broadcast_id=broadcast.pk)
    csv = b"".join(alice.get(f"/broadcasts/{broadcast.pk}/export.csv").streaming_content).decode()
    lines = csv.lstrip("\ufeff").splitlines()
    assert lines[0] == "Number,Name,Status,Reason,Message status,Error code,Handed over at"
    assert lines[1].startswith("'+14155550101,Dana,sent,,pending,,")
    assert lines[2].startswith("nope,,excluded,")
    listed = alice.get("/broadcasts/").content.decode()
    assert f'href="/broadcasts/{broadcast.pk}/"' in listed


def test_agents_get_the_ask_an_admin_page_and_strangers_a_404(org_a, org_b):
    dana = contact_create(organization=org_a.organization, phone="+14155550101")
    broadcast = broadcast_create(organization=org_a.organization, user=org_a.user, body="Hi", contact_ids=[dana.pk])
    carol = User.objects.create_user("carol", password="pw-c")
    membership_create(organization=org_a.organization, user=carol)
    agent = Client()
    agent.force_login(carol)
    assert agent.get("/broadcasts/").status_code == 403
    assert agent.post(f"/broadcasts/{broadcast.pk}/cancel/").status_code == 403
    stranger = Client()
    stranger.force_login(org_b.user)
    assert stranger.get(f"/broadcasts/{broadcast.pk}/").status_code == 404
    assert stranger.post(f"/broadcasts/{broadcast.pk}/cancel/").status_code == 404
    assert Broadcast.objects.get(pk=broadcast.pk).state == "queued"


def test_with_two_numbers_the_page_asks_which_one_it_goes_from(alice, org_a):
    from smsinbox.services import phone_number_create

    assert b'id="broadcast-from"' not in alice.get("/broadcasts/new/").content  # one number: nothing to choose
    second = phone_number_create(organization=org_a.organization, number="+14155550002", friendly_name="Uptown")
    chooser = alice.get("/broadcasts/new/").content.decode()
    assert '<option value="" selected>Each conversation\'s own number</option>' in chooser
    form = {"body": "Uptown opens at 9", "numbers": "+14155550101", "start": "now", "from_number_id": str(second.pk)}
    page = alice.post("/broadcasts/new/", {**form, "action": "preview"}).content.decode()
    assert '<dd id="preview-from">+14155550002 (Uptown)</dd>' in page
    assert f'<option value="{second.pk}" selected>' in page
    first = org_a.organization.phone_numbers.order_by("id").first()
    changed = {**form, "from_number_id": str(first.pk), "action": "send", "previewed_start": "now",
               "previewed_from": str(second.pk)}  # fmt: skip
    notice = alice.post("/broadcasts/new/", changed).content.decode()
    assert "The number it goes from changed after the preview" in notice
    assert not Broadcast.objects.exists()
    sent = alice.post("/broadcasts/new/", {**form, "action": "send", "previewed_start": "now",
                                           "previewed_from": str(second.pk)})  # fmt: skip
    assert sent.status_code == 302
    assert Broadcast.objects.get().phone_number_id == second.pk
    assert "<p>From +14155550002 · created" in alice.get(sent.url).content.decode()
    default = alice.post("/broadcasts/new/", {**form, "from_number_id": "", "action": "send", "previewed_start": "now",
                                              "previewed_from": ""})  # fmt: skip
    assert "<p>From each conversation's own number · created" in alice.get(default.url).content.decode()
    kept = alice.post("/broadcasts/new/", {**form, "numbers": "", "start": "later", "action": "preview"})
    assert kept.status_code == 400  # refused for its start: the number chosen stays chosen
    assert f'<option value="{second.pk}" selected>' in kept.content.decode()
    bad = alice.post("/broadcasts/new/", {**form, "from_number_id": "x", "action": "preview"})
    assert bad.status_code == 400
    assert "Choose one of your numbers" in bad.content.decode()
