from django.urls import reverse

from conversations.models import Contact, Conversation
from conversations.services import contact_create


def test_create_normalizes_and_edit_renames(client, org_a):
    client.force_login(org_a.user)
    response = client.post(
        reverse("contact-new"), {"first_name": "Maria", "last_name": "Garcia", "phone": "(415) 555-0101"}
    )
    contact = Contact.objects.get()
    assert response["Location"] == reverse("contact-edit", args=[contact.pk])
    assert str(contact.phone) == "+14155550101"
    client.post(
        reverse("contact-edit", args=[contact.pk]),
        {"first_name": "María", "last_name": "Garcia", "phone": "+1 415 555 0101"},
    )
    contact.refresh_from_db()
    assert contact.first_name == "María"


def test_bad_and_duplicate_numbers_are_clear_errors(client, org_a):
    client.force_login(org_a.user)
    contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")
    bad = client.post(reverse("contact-new"), {"phone": "12"}).content.decode()
    assert "wrong number of digits" in bad or "not a phone number" in bad
    dup = client.post(reverse("contact-new"), {"phone": "415-555-0101"}).content.decode()
    assert "already saved as Maria" in dup
    assert Contact.objects.count() == 1


def test_list_searches_by_name_or_number(client, org_a):
    client.force_login(org_a.user)
    contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")
    contact_create(organization=org_a.organization, phone="+14155550102", first_name="James")
    page = client.get(reverse("contacts"), {"q": "(415) 555-0101"}).content.decode()
    assert "Maria" in page
    assert "James" not in page


def test_start_a_conversation(client, org_a):
    client.force_login(org_a.user)
    contact = contact_create(organization=org_a.organization, phone="+14155550101")
    response = client.post(reverse("contact-message", args=[contact.pk]))
    conversation = Conversation.objects.get()
    assert response["Location"] == reverse("inbox-thread", args=[conversation.pk])


def test_another_organizations_contact_is_a_404(client, org_a, org_b):
    foreign = contact_create(organization=org_b.organization, phone="+14155550101", first_name="Secret")
    client.force_login(org_a.user)
    assert client.get(reverse("contact-edit", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("contact-message", args=[foreign.pk])).status_code == 404
    assert "Secret" not in client.get(reverse("contacts")).content.decode()


def test_a_nul_in_the_search_is_a_400_as_in_the_api(client, org_a):
    client.force_login(org_a.user)
    assert client.get(reverse("contacts"), {"q": "a\x00b"}).status_code == 400
    assert client.get(reverse("contacts"), {"q": "ab"}).status_code == 200


def test_a_contact_is_shown_with_its_number_as_people_read_it_and_saving_says_so(client, org_a):
    client.force_login(org_a.user)
    created = client.post(reverse("contact-new"), {"first_name": "Ana", "phone": "+1 500 555 0123"}, follow=True)
    page = created.content.decode()
    assert "Contact saved: Ana." in page
    assert 'value="(500) 555-0123"' in page  # the form shows the number as the list does, not in E.164
    contact = Contact.objects.get()
    edited = client.post(reverse("contact-edit", args=[contact.pk]), {"first_name": "Anna", "phone": "5005550123"})
    page = edited.content.decode()
    assert "Contact saved." in page
    assert 'value="(500) 555-0123"' in page
    assert 'value="Anna"' in page


def test_searching_digits_finds_the_formatted_number(client, org_a):
    client.force_login(org_a.user)
    contact_create(organization=org_a.organization, phone="+15005550123", first_name="Maria")
    contact_create(organization=org_a.organization, phone="+14155550102", first_name="James")
    page = client.get(reverse("contacts"), {"q": "500"}).content.decode()
    assert "Maria" in page
    assert "(500) 555-0123" in page
    assert "James" not in page


def test_the_favicon_is_ours_on_pages_admin_and_at_favicon_ico(client, org_a, admin_client):
    icon = "/static/img/favicon.svg"
    assert icon in client.get(reverse("login")).content.decode()
    assert icon in admin_client.get("/admin/").content.decode()
    assert client.get("/favicon.ico")["Location"] == icon


def test_opening_a_conversation_lists_it_for_nobody_until_something_is_sent(client, org_a):
    from datetime import timedelta

    from django.utils import timezone

    from messaging.selectors import conversation_list, with_messages
    from tests.twilio_posts import post_inbound

    assert post_inbound(client, to="+14155550001", from_="+14155550111", body="An older thread").status_code == 200
    client.force_login(org_a.user)
    contact = contact_create(organization=org_a.organization, phone="+14155550101", first_name="Newcomer")
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    client.post(reverse("contact-message", args=[contact.pk]))
    listed = with_messages(conversation_list(user=org_a.user, organization=org_a.organization))
    assert [c.contact.phone for c in listed] == ["+14155550111"]
    assert "Newcomer" not in client.get(reverse("home")).content.decode()
    synced = client.get(reverse("inbox-sync"), {"since": since}).json()
    assert [row["contactPhone"] for row in synced["conversations"]] == ["+14155550111"]
    conversation = Conversation.objects.get(contact=contact)
    sent = client.post(
        f"/api/conversations/{conversation.pk}/messages/", {"message": "Hello!"}, content_type="application/json"
    )
    assert sent.status_code == 201, sent.content
    listed = with_messages(conversation_list(user=org_a.user, organization=org_a.organization))
    assert listed[0].contact_id == contact.pk  # on top once something was sent


def test_check_number_asks_twilio_lookup_and_shows_the_type(client, org_a, settings):
    from messaging.twilio.emulator.lookups import LANDLINE, UNAVAILABLE
    from tests.pipeline import running_emulator

    landline = contact_create(organization=org_a.organization, phone=LANDLINE)
    client.force_login(org_a.user)
    page = client.get(reverse("contact-edit", args=[landline.pk])).content.decode()
    assert "Not checked." in page
    assert f'action="{reverse("contact-line-type", args=[landline.pk])}"' in page
    assert client.get(reverse("contact-line-type", args=[landline.pk])).status_code == 405
    with running_emulator(settings, numbers=[]) as emulator:
        response = client.post(reverse("contact-line-type", args=[landline.pk]), follow=True)
        page = response.content.decode()
        assert "Twilio Lookup: Landline (cannot receive texts)." in page
        assert "Texts to this number are refused" in page
        down = contact_create(organization=org_a.organization, phone=UNAVAILABLE)
        page = client.post(reverse("contact-line-type", args=[down.pk]), follow=True).content.decode()
        assert "Twilio Lookup did not answer" in page
        assert emulator.lookups.requests == [LANDLINE, UNAVAILABLE]
    landline.refresh_from_db()
    assert landline.line_type == "landline"


def test_another_organizations_contact_cannot_be_checked(client, org_a, org_b):
    theirs = contact_create(organization=org_b.organization, phone="+15005550020")
    client.force_login(org_a.user)
    assert client.post(reverse("contact-line-type", args=[theirs.pk])).status_code == 404
