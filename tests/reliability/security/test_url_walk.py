"""Every route refused to strangers: anonymous visitors and a user of another organization, with every
method and organization A's ids in the path and the query."""

from __future__ import annotations

from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.api_client import ApiClient
from tests.reliability.security.routes import (
    ADMIN_SITE,
    API,
    METHODS,
    PAGES,
    PUBLIC,
    ROUTES,
    WEBHOOKS,
    foreign_query,
    kind,
    names_a_foreign_object,
    send,
    url_for,
)
from tests.reliability.security.world import all_rows, leaked, tenant_snapshot


def test_every_url_pattern_is_classified_and_can_be_filled_with_organization_a_ids(world):
    """A new route (or a newly registered admin model) must be added to the tables of routes.py to be probed."""
    problems = []
    for route in ROUTES:
        if kind(route) is None:
            problems.append(f"unclassified: {route.pattern} (name {route.name})")
        elif kind(route) != "webhook":
            try:
                url_for(route, world)
            except (KeyError, AttributeError) as exc:
                problems.append(f"cannot fill {route.pattern}: {exc!r}")
    keys = {route.key for route in ROUTES}
    stale = (WEBHOOKS | PUBLIC | PAGES | API | ADMIN_SITE) - keys
    assert problems == []
    assert stale == set(), "entries naming no route any more"
    assert len([r for r in ROUTES if kind(r) == "admin"]) >= 6 * len(admin.site._registry)


def test_anonymous_is_sent_to_login_or_refused_everywhere(world):
    before = all_rows(), tenant_snapshot(world.a)
    failures = []
    for route in ROUTES:
        route_kind = kind(route)
        if route_kind == "webhook":
            continue
        url = url_for(route, world)
        for method in METHODS[route_kind]:
            response = send(Client(), method, url, route_kind, world)
            location = response.get("Location", "")
            ok = {
                "page": (response.status_code == 302 and location.startswith(f"{reverse('login')}?next="))
                or response.status_code == 405,
                "admin": response.status_code == 302 and location.startswith(f"{reverse('admin:login')}?next="),
                "api": response.status_code == 401,
                "public": response.status_code < 500,
            }[route_kind]
            if not ok or leaked(response, world.markers):
                found = leaked(response, world.markers)
                failures.append(f"{method} {url} [{route_kind}] -> {response.status_code} {location} {found}")
    assert failures == [], "\n".join(failures)
    assert (all_rows(), tenant_snapshot(world.a)) == before


def test_a_user_of_another_organization_is_refused_everywhere(world):
    """Bob (an admin of organization B, staff in Django admin) asks for every route with organization A's
    ids, with every method and with A named in the query: refused (403/404/405) or shown only B's data."""
    before = tenant_snapshot(world.a)
    bob = world.b.user
    failures = []
    for route in ROUTES:
        route_kind = kind(route)
        if route_kind == "webhook":
            continue
        client = Client()
        client.force_login(bob)
        url = url_for(route, world)
        calls = [(method, url) for method in METHODS[route_kind]] + [("GET", f"{url}?{foreign_query(world)}")]
        for method, target in calls:
            response = send(client, method, target, route_kind, world, follow=route_kind == "admin")
            first = response.redirect_chain[0][1] if getattr(response, "redirect_chain", None) else response.status_code
            status = response.status_code
            if route_kind == "admin":
                # an object of A by id: "doesn't exist" (302 to the index), 403 or 404; never its page
                ok = status in {200, 403, 404, 405} and (not names_a_foreign_object(route) or first in {302, 403, 404})
            elif names_a_foreign_object(route):
                ok = status in {403, 404, 405}
            elif route_kind == "page":
                ok = status in {200, 302, 400, 405}
            elif route_kind == "api":
                ok = status in {200, 201, 400, 404, 405}
            else:
                ok = status < 500
            if not ok or leaked(response, world.markers):
                failures.append(
                    f"{method} {target} [{route_kind}] -> {first}/{status} {leaked(response, world.markers)}"
                )
            if route_kind == "admin":
                client.force_login(bob)  # a POST to the admin's logout ends the session: start again
        home = client.get("/")  # what the probes may have switched (the organization) shows here
        if leaked(home, world.markers):
            failures.append(f"after {route.key}: the inbox shows {leaked(home, world.markers)}")
    assert failures == [], "\n".join(failures)
    assert tenant_snapshot(world.a) == before


def test_the_probing_user_does_see_their_own_organization(world):
    """The control for the sweep above: the same pages show bob organization B's data."""
    client = Client()
    client.force_login(world.b.user)
    assert "Bravo Vet" in client.get("/").content.decode()
    assert "Maria" in client.get("/contacts/").content.decode()
    assert client.get(f"/c/{world.b.conversation.pk}/").status_code == 200
    assert ApiClient(world.b.user).get(f"/api/messages/{world.b.inbound.pk}/").status_code == 200
    assert client.get(reverse("admin:conversations_contact_change", args=[world.b.contact.pk])).status_code == 200
