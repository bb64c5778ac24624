"""``@username`` mentions in a note: which members of the note's organization its text names.

A mention is ``@`` at the start of the text or after a character that cannot be part of a word (so
``ann@example.com`` names nobody), followed by a username (Django's characters: letters, digits and
``. @ + - _``). Trailing punctuation is not part of it (``@ann.`` names ``ann``) unless a member's
username ends so. Matching is case-insensitive; an exact match wins. Text that names no active member
of the organization stays plain text and links nobody: a user of another organization cannot be
mentioned, whatever the text says.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

_CANDIDATE = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")
_TRAILING = ".@+-"


def mention_candidates(text: str) -> list[str]:
    """Every ``@word`` of ``text``, without the ``@``, in order (not yet checked against anyone)."""
    return _CANDIDATE.findall(text)


def members_mentioned(*, organization_id: int, text: str) -> list[AbstractBaseUser]:
    """The active members of the organization that ``text`` mentions, each once, in order of first mention."""
    candidates = mention_candidates(text)
    if not candidates:
        return []
    members = list(
        get_user_model().objects.filter(memberships__organization_id=organization_id, is_active=True).distinct()
    )
    exact = {u.get_username(): u for u in members}
    folded = {u.get_username().casefold(): u for u in members}
    found: dict[int, AbstractBaseUser] = {}
    for candidate in candidates:
        word = candidate
        while word:
            user = exact.get(word) or folded.get(word.casefold())
            if user is not None:
                found.setdefault(user.pk, user)
                break
            if word[-1] not in _TRAILING:
                break
            word = word[:-1]
    return list(found.values())
