"""Forgotten password (Django's views and tokens at /accounts/password_reset/, our templates): the email's link
sets a new password; the answer never says whether an address has an account."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from smsinbox.models import User

PASSWORD = "a-new-Passphrase-7"


def test_the_login_page_offers_it(client, db):
    assert 'href="/accounts/password_reset/">Forgot password?' in client.get("/accounts/login/").content.decode()


def test_a_reset_link_sets_a_new_password_once(client, org_a):
    User.objects.filter(pk=org_a.user.pk).update(email="alice@acme.example")
    response = client.post("/accounts/password_reset/", {"email": "ALICE@acme.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@acme.example"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    form = client.get(link, follow=True)  # Django moves the token into the session, then shows the form
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(pk=org_a.user.pk).check_password(PASSWORD)
    again = Client().get(link, follow=True)
    assert "does not work any more" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, org_a):
    User.objects.filter(pk=org_a.user.pk).update(email="alice@acme.example")
    known = client.post("/accounts/password_reset/", {"email": "alice@acme.example"}, follow=True)
    unknown = client.post("/accounts/password_reset/", {"email": "nobody@acme.example"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert len(mail.outbox) == 1


def test_a_weak_new_password_is_refused_by_the_validators(client, org_a):
    User.objects.filter(pk=org_a.user.pk).update(email="alice@acme.example")
    client.post("/accounts/password_reset/", {"email": "alice@acme.example"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    form = client.get(link, follow=True)
    refused = client.post(form.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"})
    assert refused.status_code == 200
    assert "too short" in refused.content.decode()
    assert User.objects.get(pk=org_a.user.pk).check_password("pw-alice-1")
