from django.urls import reverse

from messaging.demo import demo_seed


def test_login_page_is_accessible_and_phone_friendly(client, db):
    page = client.get(reverse("login")).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<label for="id_username">Username</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert 'autocomplete="current-password"' in page
    assert "<script" not in page


def test_wrong_password_is_a_clear_error(client, db):
    demo_seed()
    response = client.post(reverse("login"), {"username": "demo", "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_printed_demo_login_reaches_the_seeded_data(client, db):
    login = demo_seed()
    response = client.post(reverse("login"), {"username": login.username, "password": login.password}, follow=True)
    assert response.status_code == 200
    assert "Maria Garcia" in response.content.decode()  # the inbox lists the seeded threads
    page = client.get(reverse("admin:conversations_conversation_changelist")).content.decode()
    assert "Maria Garcia" in page
    assert "+44 7700 900123" in page  # an unnamed contact shows its number


def test_anonymous_home_goes_to_login(client, db):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


def test_repeated_failed_logins_are_throttled(client, db, settings):
    login = demo_seed()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("login"), {"username": "demo", "password": "wrong"}).status_code == 200
    assert client.post(reverse("login"), {"username": "demo", "password": "wrong"}).status_code == 429
    locked = client.post(reverse("login"), {"username": "demo", "password": login.password})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session  # even the right password is refused while locked


def test_a_success_resets_the_count(client, db, settings):
    login = demo_seed()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "demo", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "demo", "password": login.password}).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "demo", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "demo", "password": login.password}).status_code == 302


def test_a_spoofed_forwarded_address_does_not_dodge_the_lockout(client, db, settings):
    demo_seed()
    for i in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(
            reverse("login"), {"username": "demo", "password": "wrong"}, headers={"X-Forwarded-For": f"10.0.0.{i}"}
        )
    assert response.status_code == 429
