"""Django admin, tenant-scoped: staff who are not superusers see only organizations they administer."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from smsinbox.models import Organization
from smsinbox.phones import phone_query
from smsinbox.tenancy import admin_organization_ids


def scope_foreign_key(db_field: models.ForeignKey, request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """Limit a foreign-key dropdown to rows of the organizations the user administers."""
    org_ids = admin_organization_ids(request.user)
    if org_ids is None:
        return
    related = db_field.related_model
    if related is Organization:
        kwargs["queryset"] = Organization.objects.filter(id__in=org_ids)
    elif related is get_user_model():
        kwargs["queryset"] = related.objects.filter(memberships__organization_id__in=org_ids).distinct()
    elif any(f.name == "organization" for f in related._meta.get_fields()):
        kwargs["queryset"] = related._default_manager.filter(organization_id__in=org_ids)


class ScopedFormFieldsMixin:
    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        scope_foreign_key(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class OrganizationScopedAdmin(ScopedFormFieldsMixin, admin.ModelAdmin):
    """A ModelAdmin whose rows are filtered to the user's organizations.

    ``organization_path`` is the lookup from the model to its Organization (``None`` for
    Organization itself). Rows of other organizations are invisible, so their change pages 404.
    """

    organization_path: str | None = "organization"
    fixed_after_creation: tuple[str, ...] = ("organization",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        """A row never moves to another organization (nor a thread to another contact)."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        own = {f.name for f in self.model._meta.get_fields()}
        return fields + tuple(f for f in self.fixed_after_creation if f in own and f not in fields)

    def get_list_filter(self, request: HttpRequest) -> tuple[Any, ...]:
        """Filter by organization among the rows the user may see, never naming other tenants."""
        return tuple(
            (f, admin.RelatedOnlyFieldListFilter) if isinstance(f, str) and f.split("__")[-1] == "organization" else f
            for f in super().get_list_filter(request)
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        org_ids = admin_organization_ids(request.user)
        if org_ids is None:
            return qs
        lookup = "pk__in" if self.organization_path is None else f"{self.organization_path}__in"
        return qs.filter(**{lookup: org_ids})


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows and never edits them."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PhoneSearchMixin:
    """Search phone fields by a number typed any common way: ``(555) 123-4567`` finds ``+15551234567``.

    A whole number is matched exactly in E.164 (an index lookup); a fragment of four or
    more digits matches numbers containing those digits.
    """

    phone_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        results, may_have_duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        term = search_term.strip()
        if not term or not self.phone_search_fields:
            return results, may_have_duplicates
        phone_q = models.Q()
        for field in self.phone_search_fields:
            phone_q |= phone_query(field, term) or models.Q()
        if phone_q:
            results = results | queryset.filter(phone_q)
        return results, may_have_duplicates
