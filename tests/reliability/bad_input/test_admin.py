"""Django admin forms: a duplicate contact is a form error naming the contact that has the number."""

from __future__ import annotations

from conversations.models import Contact
from conversations.services import contact_create


def test_renumbering_a_contact_onto_another_in_the_admin_is_a_form_error(client, org_a):
    """The organization is read-only on the change form, so Django does not check (organization, phone)
    there: the form does (it was an IntegrityError, a 500)."""
    client.force_login(org_a.user)
    maria = contact_create(organization=org_a.organization, phone="+14155550101", first_name="Maria")
    contact_create(organization=org_a.organization, phone="+14155550102", first_name="James")
    url = f"/admin/conversations/contact/{maria.pk}/change/"
    response = client.post(url, {"phone": "+14155550102", "first_name": "Maria", "last_name": ""})
    assert response.status_code == 200
    assert "(415) 555-0102 is already saved as James" in response.content.decode()  # names who has it
    assert str(Contact.objects.get(pk=maria.pk).phone) == "+14155550101"


def test_adding_a_duplicate_contact_in_the_admin_is_a_form_error(client, org_a):
    """The control: on the add form (organization editable) the constraint is checked."""
    client.force_login(org_a.user)
    contact_create(organization=org_a.organization, phone="+14155550102", first_name="James")
    response = client.post(
        "/admin/conversations/contact/add/",
        {"organization": org_a.organization.pk, "phone": "+1 415 555 0102", "first_name": "", "last_name": ""},
    )
    assert response.status_code == 200
    assert "(415) 555-0102 is already saved as James" in response.content.decode()
    assert Contact.objects.count() == 1
