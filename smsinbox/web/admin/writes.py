"""Every write of Django admin goes through a service.

A ``ServiceAdmin`` saves and deletes only through its ``create``, ``update`` and ``delete``, each
one service call, so admin edits follow the same rules, and are announced to open inboxes the
same way, as every other write. The service runs as the last step of the change form's
validation (``ServiceForm.full_clean``): a ``ServiceError`` is shown as an error on the field it
names (or on the form), and the page is shown again as for any other invalid input, with nothing
written. Deletes, of one row or through the changelist's bulk action, call ``delete`` for each
row in one transaction; a refusal is a message, and nothing is deleted.

Inlines of a ``ServiceAdmin`` are read-only (``ReadOnlyInline``): their rows have admin pages of
their own, which save through their services.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.db import models, router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from smsinbox.errors import ServiceError
from smsinbox.web.admin.scoping import OrganizationScopedAdmin, ReadOnlyInline


class ServiceForm(forms.ModelForm):
    """A change form whose save is a service call, made once its fields are valid."""

    # Set on each request's form class by ServiceAdmin.get_form: the service call for this form.
    write: Callable[[ServiceForm], models.Model] | None = None
    saved: models.Model | None = None  # what the service saved

    def _post_clean(self) -> None:
        """No model validation here: the service checks the model's rules, in one place for every
        caller, and words its refusals (Django's own unique checks could not even run where the
        organization is read-only)."""

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or self._errors or self.write is None:
            return
        try:
            self.saved = self.write(self)
        except ServiceError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class ServiceAdmin(OrganizationScopedAdmin):
    """A tenant-scoped ModelAdmin that writes only through services (see the module docstring)."""

    form = ServiceForm

    def create(self, request: HttpRequest, values: dict[str, Any]) -> models.Model:
        """Create the row from the add form's ``values`` (cleaned, by field name)."""
        raise NotImplementedError(f"{type(self).__name__} adds no rows")

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> models.Model:
        """Apply the change form's ``changes`` (the fields it changed, cleaned) to ``obj`` as stored."""
        raise NotImplementedError(f"{type(self).__name__} changes no rows")

    def delete(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} deletes no rows")

    # --- saving: the form calls the service --------------------------------------------

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if not issubclass(form, ServiceForm):
            raise TypeError(f"{type(self).__name__}.form must be a ServiceForm")
        form.write = functools.partial(self._write, request)  # a class of this request's own
        return form

    def _write(self, request: HttpRequest, form: ServiceForm) -> models.Model:
        values = form.cleaned_data
        if form.instance.pk is None:
            return self.create(request, values)
        # The form has already copied its values onto form.instance: the service gets the row as stored.
        stored = self.model._default_manager.get(pk=form.instance.pk)
        changes = {name: values[name] for name in form.changed_data if name in values}
        return self.update(request, stored, changes) if changes else stored

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        return form.saved

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Saved already, by the service (``ServiceForm.full_clean``)."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing to save: the inlines are read-only, and no model here has many-to-many fields."""
        for formset in formsets:  # what the change message reads of each inline
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if not isinstance(inline, ReadOnlyInline):
                raise ImproperlyConfigured(f"{type(inline).__name__}: the inlines of a ServiceAdmin are read-only")
        return inlines

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if getattr(context["adminform"].form, "saved", None) is not None:
            # The service saved, yet the page is shown again (an inline refused): keep nothing of it.
            transaction.set_rollback(True, using=router.db_for_write(self.model))
        return super().render_change_form(request, context, *args, **kwargs)

    # --- deleting: one row, or the bulk action -----------------------------------------

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset:
                self.delete(request, obj)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as exc:
            return self._refused(request, exc)

    def response_action(self, request: HttpRequest, queryset: models.QuerySet) -> HttpResponse | None:
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().response_action(request, queryset)
        except ServiceError as exc:
            return self._refused(request, exc)

    def _refused(self, request: HttpRequest, exc: ServiceError) -> HttpResponse:
        self.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())
