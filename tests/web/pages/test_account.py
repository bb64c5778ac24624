"""The settings page (/settings/), the push subscription endpoints, and the web app's manifest and worker."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from smsinbox.models import Membership, User
from smsinbox.notifications.models import NotificationSettings, PushSubscription

URL = "/settings/"
ALL = ("inbound_mine", "inbound_unassigned", "inbound_all", "assigned_to_me", "mentions", "sound", "desktop")


@pytest.fixture
def alice(client, org_a):
    client.force_login(org_a.user)
    return client


@pytest.fixture
def carol(org_a):
    user = User.objects.create_user("carol", password="pw-carol-1", time_zone="Asia/Tokyo")
    Membership.objects.create(user=user, organization=org_a.organization)
    return user


def test_the_page_needs_a_login(client, db):
    answer = client.get(URL)
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
    assert client.post(URL, {"sound": "on"}).status_code == 302
    assert not NotificationSettings.objects.exists()


def test_the_page_shows_the_defaults_with_labels_and_is_linked_from_the_header(alice):
    html = alice.get(URL).content.decode()
    for name in ALL:
        assert f'<label for="id_{name}">' in html
    assert 'name="inbound_unassigned" id="id_inbound_unassigned" checked' in html
    assert 'name="inbound_all" id="id_inbound_all">' in html  # off by default
    assert '<label for="id_time_zone">Time zone</label>' in html
    assert '<option value="America/New_York">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'id="allow-desktop"' in html
    assert 'href="/settings/"' in alice.get("/").content.decode()


def test_saving_stores_the_choices_and_the_zone_for_this_user_only(alice, org_a, carol):
    answer = alice.post(URL, {"time_zone": "Europe/Berlin", "inbound_all": "on", "sound": "on"})
    assert answer.status_code == 200
    assert "Settings saved." in answer.content.decode()
    prefs = NotificationSettings.objects.get(user=org_a.user)
    assert [getattr(prefs, name) for name in ALL] == [False, False, True, False, False, True, False]
    org_a.user.refresh_from_db()
    assert org_a.user.time_zone == "Europe/Berlin"
    carol.refresh_from_db()
    assert carol.time_zone == "Asia/Tokyo"
    assert not NotificationSettings.objects.filter(user=carol).exists()
    html = alice.get(URL).content.decode()
    assert 'name="inbound_all" id="id_inbound_all" checked' in html
    assert 'value="Europe/Berlin"' in html


def test_an_unknown_zone_is_a_clear_error_and_nothing_is_saved(alice, org_a):
    answer = alice.post(URL, {"time_zone": "Europe/Atlantis", "sound": "on"})
    assert answer.status_code == 200  # the form again, as every page's form (contacts too)
    html = answer.content.decode()
    assert "&#x27;Europe/Atlantis&#x27; is not a known time zone" in html
    assert 'aria-invalid="true"' in html
    assert not NotificationSettings.objects.exists()
    org_a.user.refresh_from_db()
    assert org_a.user.time_zone == ""


def test_an_empty_zone_means_the_browsers_own(alice, org_a):
    org_a.user.time_zone = "Asia/Tokyo"
    org_a.user.save()
    assert alice.post(URL, {"time_zone": ""}).status_code == 200
    org_a.user.refresh_from_db()
    assert org_a.user.time_zone == ""


def test_the_inbox_is_told_how_to_show_notifications(alice, org_a):
    alice.post(URL, {"time_zone": "", "sound": "on", "inbound_unassigned": "on"})
    html = alice.get("/").content.decode()
    config = json.loads(html.split('id="inbox-config" type="application/json">')[1].split("</script>")[0])
    assert config["notifications"]["sound"] is True
    assert config["notifications"]["desktop"] is False
    assert config["events"]["notificationCreated"] == "notification.created"
    assert config["urls"]["serviceWorker"] == "/sw.js"


def subscription(endpoint="https://push.example/s/1"):
    return {"endpoint": endpoint, "keys": {"p256dh": "BOr6x-key", "auth": "c2VjcmV0"}}


def test_subscribing_stores_the_browsers_subscription(alice, org_a):
    answer = alice.post("/settings/push/subscribe/", subscription(), content_type="application/json")
    assert answer.status_code == 201
    [stored] = PushSubscription.objects.all()
    assert (stored.user, stored.endpoint, stored.auth) == (org_a.user, "https://push.example/s/1", "c2VjcmV0")
    answer = alice.post(
        "/settings/push/unsubscribe/", {"endpoint": "https://push.example/s/1"}, content_type="application/json"
    )
    assert answer.json() == {"subscribed": False}
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({"endpoint": "http://10.0.0.1/", "keys": {"p256dh": "a", "auth": "b"}}),
        json.dumps({"endpoint": "https://push.example/x", "keys": "nope"}),
        json.dumps({"endpoint": 7}),
        json.dumps({"endpoint": "https://push.example/x", "keys": {"p256dh": "<script>", "auth": "b"}}),
        json.dumps(subscription("https://push.example/" + "x" * 5000)),
    ],
)
def test_a_malformed_subscription_is_a_400_with_an_error(alice, body):
    answer = alice.post("/settings/push/subscribe/", body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["error"]
    assert not PushSubscription.objects.exists()


def test_the_push_endpoints_need_a_login_and_the_csrf_token(org_a, db):
    anonymous = Client()
    assert (
        anonymous.post("/settings/push/subscribe/", subscription(), content_type="application/json").status_code == 302
    )
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org_a.user)
    answer = strict.post("/settings/push/subscribe/", subscription(), content_type="application/json")
    assert answer.status_code == 403
    assert not PushSubscription.objects.exists()


def test_the_manifest_names_our_own_icons_and_the_worker_is_served_at_the_root(client, db):
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["start_url"] == "/"
    assert data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert icon["src"].startswith("/static/img/")
    worker = client.get("/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    assert b'addEventListener("push"' in worker.content
    assert '<link rel="manifest" href="/manifest.webmanifest">' in client.get(reverse("login")).content.decode()


def test_logging_out_forgets_the_subscriptions_made_in_that_session_only(alice, org_a):
    other_browser = Client()
    other_browser.force_login(org_a.user)
    alice.post("/settings/push/subscribe/", subscription("https://push.example/here"), content_type="application/json")
    other_browser.post(
        "/settings/push/subscribe/", subscription("https://push.example/there"), content_type="application/json"
    )
    assert "https://push.example/here" in alice.get(URL).content.decode()  # the page knows what is subscribed
    alice.post(reverse("logout"))
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == ["https://push.example/there"]


def test_a_member_sets_themselves_away_and_available_again(alice, org_a, carol):
    page = alice.get(URL).content.decode()
    assert "You are <strong>Available</strong>" in page
    assert "Automatic assignment is off" in page
    assert alice.post("/settings/availability/", {"available": "no"}).status_code == 302
    assert not Membership.objects.get(user=org_a.user).available
    assert Membership.objects.get(user=carol).available  # only their own
    page = alice.get(URL).content.decode()
    assert "You are <strong>Away</strong>" in page
    assert "Set me Available" in page
    alice.post("/settings/availability/", {"available": "yes"})
    assert Membership.objects.get(user=org_a.user).available
