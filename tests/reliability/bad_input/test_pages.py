"""The staff pages: any query string or form post is answered without a 500 and without a corrupt row."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.models import Contact
from messaging.models import Message
from tests.api_client import ApiClient
from tests.reliability.bad_input.helpers import E164, FUZZ, any_text, no_text_has_nul, phoneish_text, rolled_back


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["q", "filter", "cursor", "before", "page", "phone", "conversation", "organization"]),
        st.one_of(any_text, st.sampled_from(["a\x00b", "²", "9" * 23, "2026-01-01T00:00:00_" + "9" * 23])),
        max_size=4,
    ),
    page=st.sampled_from(["home", "thread", "older", "contacts", "contact-new", "contact-edit"]),
)
def test_any_query_string_on_a_page_is_answered_without_a_500(client, org_a, conversation_a, query, page):
    client.force_login(org_a.user)
    conversation, contact = conversation_a.pk, conversation_a.contact.pk
    path = {
        "home": "/",
        "thread": f"/c/{conversation}/",
        "older": f"/c/{conversation}/older/",
        "contacts": "/contacts/",
        "contact-new": "/contacts/new/",
        "contact-edit": f"/contacts/{contact}/",
    }[page]
    with rolled_back():
        response = client.get(path, query)
        assert response.status_code in {200, 400, 404}, (path, query)


FORM_TEXT = st.one_of(
    any_text,
    phoneish_text,
    st.sampled_from(["me", "closed", "²", "9" * 23, "k\x00", "http://[x/a.png", "https://media.example/a\x00b"]),
    st.sampled_from(["custom", "tomorrow", "reply", "0001-01-01T00:00", "9999-12-31T23:59"]),  # the snooze form
)


@FUZZ
@given(
    form=st.sampled_from(["status", "assign", "send", "contact-new", "contact-edit", "switch", "read", "snooze"]),
    fields=st.dictionaries(
        st.sampled_from(
            [
                "status",
                "preset",
                "until",
                "assignee",
                "body",
                "media_urls",
                "idempotency_key",
                "phone",
                "first_name",
                "last_name",
                "organization",
                "return_query",
            ]
        ),
        FORM_TEXT,
        max_size=5,
    ),
)
def test_any_form_post_is_answered_without_a_500_or_a_corrupt_row(client, org_a, conversation_a, form, fields):
    client.force_login(org_a.user)
    conversation, contact = conversation_a.pk, conversation_a.contact.pk
    path = {
        "status": f"/c/{conversation}/status/",
        "assign": f"/c/{conversation}/assign/",
        "send": f"/c/{conversation}/send/",
        "contact-new": "/contacts/new/",
        "contact-edit": f"/contacts/{contact}/",
        "switch": "/organization/",
        "read": f"/c/{conversation}/read/",
        "snooze": f"/c/{conversation}/snooze/",
    }[form]
    with rolled_back():
        response = client.post(path, fields)
        assert response.status_code in {200, 302, 400, 404}, (path, fields)
        assert no_text_has_nul()
        assert all(E164.fullmatch(str(phone)) for phone in Contact.objects.values_list("phone", flat=True))
        for message in Message.objects.all():
            assert len(message.body) <= 1600
            assert all(urlsplit(url).scheme in {"http", "https"} for url in message.media.values_list("url", flat=True))


# --- Inputs that once were a 500 -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/contacts/"])
def test_a_nul_in_a_page_search_is_not_a_500(client, org_a, conversation_a, path):
    """Refused (400) as the API refuses it: PostgreSQL cannot search for a NUL (it was a 500 there)."""
    client.force_login(org_a.user)
    assert client.get(path, {"q": "a\x00b"}).status_code == 400


@pytest.mark.parametrize("fields", [{"idempotency_key": "k\x00"}, {"media_urls": "https://media.example/a\x00b"}])
def test_a_nul_in_the_composer_is_refused_not_stored(client, org_a, conversation_a, fields):
    client.force_login(org_a.user)
    response = client.post(f"/c/{conversation_a.pk}/send/", {"body": "hi", **fields})
    assert response.status_code in {302, 400}
    assert no_text_has_nul()


@pytest.mark.parametrize("via", ["page", "api"])
def test_an_invalid_ipv6_media_url_to_send_is_a_clear_error(client, org_a, conversation_a, via):
    if via == "page":
        client.force_login(org_a.user)
        response = client.post(f"/c/{conversation_a.pk}/send/", {"body": "hi", "media_urls": "http://[x/a.png"})
        assert response.status_code in {302, 400}
    else:
        response = ApiClient(org_a.user).post(
            "/api/sms/send", {"contactId": conversation_a.contact.pk, "message": "hi", "mediaUrls": ["http://[x/a.png"]}
        )
        assert response.status_code == 400
    assert not Message.objects.exists()


@pytest.mark.parametrize("where", ["assign", "switch", "sync"])
def test_a_superscript_digit_in_a_page_form_is_not_a_500(client, org_a, conversation_a, where):
    client.force_login(org_a.user)
    if where == "assign":
        response = client.post(f"/c/{conversation_a.pk}/assign/", {"assignee": "²"})
    elif where == "switch":
        response = client.post("/organization/", {"organization": "²"})
    else:
        response = client.get("/inbox/sync/", {"since": "2026-01-01T00:00:00+00:00", "conversation": "²"})
    assert response.status_code in {200, 302, 400}


def test_sync_since_a_time_without_an_offset_is_not_a_500(client, org_a):
    client.force_login(org_a.user)
    assert client.get("/inbox/sync/", {"since": "2026-01-01T00:00:00"}).status_code == 200


def test_sync_with_a_bad_or_aware_time(client, org_a):
    client.force_login(org_a.user)
    assert client.get("/inbox/sync/", {"since": "yesterday"}).status_code == 400
    assert client.get("/inbox/sync/", {"since": "2026-13-01T00:00:00+00:00"}).status_code == 400
    assert client.get("/inbox/sync/", {"since": "2026-01-01T00:00:00+00:00"}).status_code == 200


@pytest.mark.parametrize("where", ["media", "assign"])
def test_an_id_out_of_range_is_not_a_500(client, org_a, conversation_a, where):
    client.force_login(org_a.user)
    if where == "media":
        response = client.get("/media/99999999999999999999999/0/")
    else:
        response = client.post(f"/c/{conversation_a.pk}/assign/", {"assignee": "9" * 23})
    assert response.status_code in {302, 400, 404}
