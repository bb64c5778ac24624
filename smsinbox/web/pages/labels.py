"""Labels and saved views in the pages: the management page, labelling from the thread, the list (several
conversations at once) and the contact page, and the saved views of the inbox's sidebar with their counts.

Forms work without JavaScript (each posts and comes back); ``static/js/labels.js`` enhances them. Each view parses
its input and calls one service; the inbox page asks ``list_extras`` and ``labels_config`` for its part.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conversations.labels import (
    LABELS_ADMIN_ACTION,
    conversations_label,
    label_create,
    label_delete,
    label_update,
    saved_view_create,
    saved_view_delete,
)
from conversations.models import LABEL_COLORS, SavedView
from conversations.payloads import conversation_payload, label_payload
from conversations.selectors import (
    contact_get_for_user,
    conversation_get_for_user,
    label_get_for_user,
    label_list,
    saved_view_get_for_user,
    saved_view_list,
)
from conversations.services import contact_update, conversation_update
from messaging.selectors import saved_view_counts
from smsinbox.casing import camelize
from smsinbox.errors import ServiceError
from smsinbox.models import Organization
from smsinbox.parsing import ascii_int
from smsinbox.team.roles import FORBIDDEN, admins_only_message, is_organization_admin
from smsinbox.team.selectors import organization_admin_names
from smsinbox.tenancy import current_organization
from smsinbox.web.pages import found_or_404

# Which of the list's filter tabs a saved view can keep, as the view's fields.
TAB_AS_VIEW: dict[str, dict[str, Any]] = {
    "all": {},
    "unread": {"unread": True},
    "open": {"status": "open"},
    "closed": {"status": "closed"},
    "mine": {"assigned": "me"},
    "unassigned": {"assigned": "unassigned"},
}


def _organization(request: HttpRequest) -> Organization:
    return found_or_404(current_organization(request), "Organization")


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept") == "application/json"


def _ids(values: list[str]) -> list[int] | None:
    """Ids of a form's repeated field; ``None`` when one is not an id."""
    ids = [ascii_int(value) for value in values if value]
    return None if any(i is None for i in ids) else ids  # type: ignore[return-value]


def palette() -> list[dict[str, str]]:
    return [{"key": key, **colors} for key, colors in LABEL_COLORS.items()]


def list_extras(
    request: HttpRequest, *, organization: Organization, filters: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The inbox list's label filter (``?label=<id>``) or saved view (``?view=<id>``): the extra arguments of
    ``conversation_list`` and what the page shows (``view``, ``label``, the query to keep in links)."""
    labels = label_list(organization=organization)
    view = None
    wanted_view = ascii_int(request.GET.get("view", ""))
    if wanted_view is not None:
        found = saved_view_get_for_user(user=request.user, view_id=wanted_view)
        view = found if found is not None and found.organization_id == organization.pk else None
    label = None
    wanted_label = ascii_int(request.GET.get("label", ""))
    if wanted_label is not None:
        label = next((one for one in labels if one.pk == wanted_label), None)
    extra: dict[str, Any] = {}
    if view is not None:
        extra = view.list_filters()
    elif label is not None:
        extra = {"label": label.pk}
    query = {"view": view.pk} if view else ({"label": label.pk} if label else {})
    return extra, {"labels": labels, "view": view, "label": label, "query": urlencode(query)}


def sidebar_context(request: HttpRequest, *, organization: Organization) -> dict[str, Any]:
    views = list(saved_view_list(user=request.user, organization=organization))
    counts = saved_view_counts(user=request.user, organization=organization, views=views)
    return {"saved_views": [(view, counts[view.pk]) for view in views], "palette": palette()}


def labels_config(organization: Organization, *, label: Any, view: SavedView | None) -> dict[str, Any]:
    """The labels' part of the inbox's configuration (snake_case; the caller camelizes it)."""
    return {
        "labels": [label_payload(one) for one in label_list(organization=organization)],
        "palette": palette(),
        "list_label": label.pk if label else None,
        "list_view": (
            {
                "status": view.status,
                "assigned": view.assigned,
                "label": view.label_id,
                "unread": view.unread,
                "q": view.q,
            }
            if view
            else None
        ),
        "urls": {
            "apply_labels": reverse("labels-apply"),
            "view_counts": reverse("views-counts"),
        },
    }


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on (a path of this site only)."""
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else default)


@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """The organization's labels: create, rename, recolour, delete."""
    organization = _organization(request)
    if request.method == "POST" and not is_organization_admin(user=request.user, organization_id=organization.pk):
        return _manage_page(request, organization, status=403, refused=admins_only_message(LABELS_ADMIN_ACTION))
    if request.method == "POST":
        action = request.POST.get("action", "")
        label_id = ascii_int(request.POST.get("label", ""))
        try:
            if action == "create":
                label = label_create(
                    organization=organization,
                    name=request.POST.get("name", ""),
                    color=request.POST.get("color", "gray"),
                    actor=request.user,
                )
                flash.success(request, f"Label “{label.name}” created.")
            else:
                label = label_get_for_user(user=request.user, label_id=label_id) if label_id else None
                if label is None or label.organization_id != organization.pk:
                    raise ServiceError.not_found("Label")
                if action == "delete":
                    label_delete(label=label, actor=request.user)
                    flash.success(request, f"Label “{label.name}” deleted.")
                elif action == "update":
                    label_update(
                        label=label,
                        name=request.POST.get("name", ""),
                        color=request.POST.get("color", label.color),
                        actor=request.user,
                    )
                    flash.success(request, f"Label “{label.name}” saved.")
                else:
                    raise ServiceError("Choose what to do with the label.")
        except ServiceError as exc:
            if exc.code == FORBIDDEN:  # an agent: the page again, saying who manages labels (403)
                return _manage_page(request, organization, status=403, refused=exc.message)
            flash.error(request, exc.message)
        return redirect("labels")
    return _manage_page(request, organization)


def _manage_page(
    request: HttpRequest, organization: Organization, *, status: int = 200, refused: str = ""
) -> HttpResponse:
    """The labels; their forms only for the organization's admins (agents see the list and who to ask)."""
    context = {
        "organization": organization,
        "labels": label_list(organization=organization),
        "palette": palette(),
        "may_manage": is_organization_admin(user=request.user, organization_id=organization.pk),
        "admins": organization_admin_names(organization=organization),
        "refused": refused,
    }
    return render(request, "labels/manage.html", context, status=status)


@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    """The list's bulk action: add (or remove) one label on the chosen conversations."""
    organization = _organization(request)
    ids = _ids(request.POST.getlist("conversation"))
    label_id = ascii_int(request.POST.get("label", ""))
    action = request.POST.get("action", "add")
    try:
        if ids is None or label_id is None or action not in ("add", "remove"):
            raise ServiceError("Choose conversations and a label.")
        conversations = conversations_label(
            organization=organization,
            conversation_ids=ids,
            add=[label_id] if action == "add" else [],
            remove=[label_id] if action == "remove" else [],
            by_user_id=request.user.pk,
        )
    except ServiceError as exc:
        if _wants_json(request):
            return JsonResponse({"error": exc.message}, status=400)
        flash.error(request, exc.message)
        return _back(request, reverse("home"))
    if _wants_json(request):
        rows = [conversation_get_for_user(user=request.user, conversation_id=c.pk) for c in conversations]
        return JsonResponse(camelize({"conversations": [conversation_payload(c) for c in rows if c]}))
    flash.success(request, f"{'Labelled' if action == 'add' else 'Unlabelled'} {len(conversations)} conversation(s).")
    return _back(request, reverse("home"))


@login_required
@require_POST
def conversation_labels(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The thread header's labels: exactly the ticked ones."""
    conversation = found_or_404(
        conversation_get_for_user(user=request.user, conversation_id=conversation_id), "Conversation"
    )
    ids = _ids(request.POST.getlist("label"))
    try:
        if ids is None:
            raise ServiceError("Choose labels of this organization.", field="labels")
        conversation_update(conversation=conversation, label_ids=ids, by_user_id=request.user.pk)
    except ServiceError as exc:
        if _wants_json(request):
            return JsonResponse({"error": exc.message}, status=400)
        flash.error(request, exc.message)
        return _back(request, reverse("inbox-thread", args=[conversation.pk]))
    if _wants_json(request):
        fresh = conversation_get_for_user(user=request.user, conversation_id=conversation.pk) or conversation
        return JsonResponse(camelize({"conversation": conversation_payload(fresh)}))
    return _back(request, reverse("inbox-thread", args=[conversation.pk]))


@login_required
@require_POST
def contact_labels(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The contact page's labels: exactly the ticked ones."""
    organization = _organization(request)
    contact = found_or_404(
        contact_get_for_user(user=request.user, organization=organization, contact_id=contact_id), "Contact"
    )
    ids = _ids(request.POST.getlist("label"))
    try:
        if ids is None:
            raise ServiceError("Choose labels of this organization.", field="labels")
        contact_update(contact=contact, label_ids=ids)
    except ServiceError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, "Labels saved.")
    return redirect("contact-edit", contact.pk)


@login_required
@require_POST
def view_create(request: HttpRequest) -> HttpResponse:
    """ "Save view": the list's current tab, label and search under a name."""
    organization = _organization(request)
    fields = dict(TAB_AS_VIEW.get(request.POST.get("filter", "all"), {}))
    label_id = ascii_int(request.POST.get("label", ""))
    try:
        view = saved_view_create(
            organization=organization,
            owner=request.user,
            name=request.POST.get("name", ""),
            shared=request.POST.get("shared") == "on",
            label_id=label_id,
            q=request.POST.get("q", "")[:200],
            **fields,
        )
    except ServiceError as exc:
        flash.error(request, exc.message)
        return _back(request, reverse("home"))
    return redirect(f"{reverse('home')}?view={view.pk}")


@login_required
@require_POST
def view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = found_or_404(saved_view_get_for_user(user=request.user, view_id=view_id), "View")
    try:
        saved_view_delete(view=view, user=request.user)
    except ServiceError as exc:
        flash.error(request, exc.message)
    return redirect("home")


@login_required
@require_GET
def view_counts(request: HttpRequest) -> JsonResponse:
    """The sidebar's live counts (one count query per view), refreshed by the page after changes it hears."""
    organization = current_organization(request)
    if organization is None:
        return JsonResponse({"counts": {}})
    views = list(saved_view_list(user=request.user, organization=organization))
    counts = saved_view_counts(user=request.user, organization=organization, views=views)
    return JsonResponse({"counts": {str(pk): count for pk, count in counts.items()}})


@login_required
@require_GET
def palette_css(request: HttpRequest) -> HttpResponse:
    """The palette's colours as CSS, from ``LABEL_COLORS`` (one source; the page's CSP allows no inline style)."""
    css = render_to_string("labels/palette.css", {"palette": palette()})
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
