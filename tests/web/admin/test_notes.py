"""Notes in Django admin: an organization admin may read their organization's notes and mentions, never add,
change or delete one (a note is written in the thread, where mentions are linked and colleagues told)."""

from __future__ import annotations

from django.urls import reverse

from conversations.models import Note
from conversations.services import note_create


def test_setup_org_lets_organization_admins_view_notes(org_a):
    assert org_a.user.has_perm("conversations.view_note")
    assert not org_a.user.has_perm("conversations.change_note")


def test_notes_are_read_only_with_their_mentions_and_scoped_to_the_organization(client, org_a, org_b, conversation_a):
    from smsinbox.models import Membership, User

    carol = User.objects.create_user("carol", password="pw-carol-1", first_name="Carol")
    Membership.objects.create(user=carol, organization=org_a.organization, role="agent")
    note = note_create(conversation=conversation_a, author=org_a.user, body="@carol can you call them back?")
    client.force_login(org_a.user)
    change = client.get(reverse("admin:conversations_note_change", args=[note.pk]))
    assert change.status_code == 200
    page = change.content.decode()
    assert "can you call them back?" in page
    assert "carol" in page  # the mention, in its inline
    assert 'name="body"' not in page  # shown, not editable
    assert 'name="_save"' not in page  # no Save button
    assert client.get(reverse("admin:conversations_note_add")).status_code == 403
    before = Note.objects.get(pk=note.pk).body
    client.post(reverse("admin:conversations_note_change", args=[note.pk]), {"body": "changed"})
    assert Note.objects.get(pk=note.pk).body == before
    assert client.post(reverse("admin:conversations_note_delete", args=[note.pk]), {"post": "yes"}).status_code == 403
    assert Note.objects.filter(pk=note.pk).exists()
    client.force_login(org_b.user)
    assert client.get(reverse("admin:conversations_note_changelist")).context["cl"].result_count == 0
    assert client.get(reverse("admin:conversations_note_change", args=[note.pk])).status_code == 302
