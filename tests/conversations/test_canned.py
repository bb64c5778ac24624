"""The canned replies' body syntax: variables with fallbacks, placeholders, and what a saved body may hold."""

from __future__ import annotations

from types import SimpleNamespace

from conversations.canned import VARIABLES, body_problems, placeholders, render_body, variable_values
from conversations.models import CANNED_BODY_MAX_LENGTH
from messaging.segments import MAX_BODY_CHARACTERS

VALUES = {
    "contact.first_name": "Maria",
    "contact.last_name": "Lopez",
    "contact.name": "Maria Lopez",
    "user.first_name": "Alice",
    "user.name": "Alice Smith",
    "organization.name": "Acme Dental",
}


def test_variables_are_filled():
    body = "Hi {{contact.first_name}}, {{user.first_name}} from {{organization.name}} here ({{contact.name}})."
    assert render_body(body, VALUES) == "Hi Maria, Alice from Acme Dental here (Maria Lopez)."


def test_spaces_inside_the_braces_are_allowed():
    assert render_body("Hi {{ contact.first_name }}!", VALUES) == "Hi Maria!"
    assert render_body("Hi {{ contact.first_name | there }}!", VALUES | {"contact.first_name": ""}) == "Hi there!"


def test_the_fallback_is_used_only_when_the_value_is_empty():
    assert render_body("Hi {{contact.first_name|there}}", VALUES) == "Hi Maria"
    assert render_body("Hi {{contact.first_name|there}}", VALUES | {"contact.first_name": ""}) == "Hi there"
    assert render_body("Hi {{contact.first_name|there}}", VALUES | {"contact.first_name": "  "}) == "Hi there"


def test_an_empty_value_without_fallback_is_empty_text():
    assert render_body("Hi {{contact.first_name}}!", VALUES | {"contact.first_name": ""}) == "Hi !"


def test_an_empty_fallback_is_allowed():
    assert render_body("Hi{{contact.first_name|}}!", VALUES | {"contact.first_name": ""}) == "Hi!"


def test_unknown_variables_and_placeholders_are_left_as_written():
    body = "{{contact.age}} {{ nope }} [[time]] {single} {{contact.first_name"
    assert render_body(body, VALUES) == body


def test_values_are_text_never_reinterpreted():
    values = VALUES | {"contact.first_name": "{{organization.name}} <b>"}
    assert render_body("Hi {{contact.first_name}}", values) == "Hi {{organization.name}} <b>"


def test_placeholders_in_order():
    assert placeholders("At [[time]] on [[day]], [[time]]. [[]] [x] [[a\nb]]") == ["[[time]]", "[[day]]", "[[time]]"]


def test_body_problems_name_unknown_variables_and_the_known_ones():
    problem = body_problems("Hi {{contact.age}} and {{user.email}}")
    assert problem.startswith("Unknown variable {{contact.age}}, {{user.email}}.")
    assert "{{contact.first_name}}" in problem
    assert body_problems("Hi {{contact.first_name|there}} [[time]]") is None
    assert body_problems("No variables at all") is None


def test_body_problems_catch_broken_variables():
    assert "not written right" in body_problems("Hi {{contact.first_name")
    assert "not written right" in body_problems("Hi {{ }}")
    assert "not written right" in body_problems("Hi {{contact.first_name|a|b}}")


def test_variable_values_from_contact_user_and_organization():
    contact = SimpleNamespace(first_name="Maria", last_name="", full_name="Maria")
    user = SimpleNamespace(first_name="", get_full_name=lambda: "", get_username=lambda: "alice")
    organization = SimpleNamespace(name="Acme Dental")
    values = variable_values(contact=contact, user=user, organization=organization)
    assert set(values) == set(VARIABLES)
    assert values["contact.first_name"] == "Maria"
    assert values["user.first_name"] == ""
    assert values["user.name"] == "alice"
    assert render_body("{{user.first_name|The team}}", values) == "The team"


def test_a_reply_is_at_most_one_message():
    assert CANNED_BODY_MAX_LENGTH == MAX_BODY_CHARACTERS
