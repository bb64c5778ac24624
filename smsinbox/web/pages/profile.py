"""The thread's contact panel: the person's name, number and country, labels, notes about them, opt-out history and
first/last contact (``templates/inbox/_contact_panel.html``), edited in place.

The panel is a ``<details>``: it opens and closes from the keyboard and without JavaScript, at any width. Its form
posts here, and one service writes it all (``contact_update``: names, notes, labels), so every open inbox hears the
contact's conversation again (its new name in the list and the thread's header).
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from conversations.selectors import conversation_get_for_user
from conversations.services import contact_update
from smsinbox.errors import ServiceError
from smsinbox.parsing import ascii_int
from smsinbox.web.pages import found_or_404


@login_required
@require_POST
def contact_save(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Save the panel: first and last name, notes, and exactly the ticked labels; back to the thread's panel."""
    conversation = found_or_404(
        conversation_get_for_user(user=request.user, conversation_id=conversation_id), "Conversation"
    )
    url = reverse("inbox-thread", args=[conversation.pk])
    query = request.POST.get("return_query", "")
    url = f"{url}?{query}" if query else url
    raw_labels = request.POST.getlist("label")
    label_ids = [ascii_int(raw) for raw in raw_labels]
    try:
        if any(pk is None for pk in label_ids):
            raise ServiceError("Choose labels of this organization.", field="labels")
        contact_update(
            contact=conversation.contact,
            first_name=request.POST.get("first_name", ""),
            last_name=request.POST.get("last_name", ""),
            notes=request.POST.get("notes", ""),
            label_ids=label_ids if "labels_shown" in request.POST else None,  # type: ignore[arg-type]
            seen={
                name: request.POST[f"seen_{name}"]
                for name in ("first_name", "last_name", "notes")
                if f"seen_{name}" in request.POST
            },
        )
    except ServiceError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, "Contact saved.")
    return redirect(f"{url}#contact-panel")
