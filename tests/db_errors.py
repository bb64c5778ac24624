"""Expect the database to refuse a write by one named constraint or trigger, on SQLite and PostgreSQL alike.

A bare ``pytest.raises(IntegrityError)`` passes whichever rule refuses the write, so a test of one constraint
could pass on another's refusal. ``refused_by(name)`` passes only when the error names the rule, as each
vendor reports it:

- PostgreSQL: ``violates check constraint "<name>"``, ``violates unique constraint "<name>"``.
- SQLite: ``CHECK constraint failed: <name>``; a UNIQUE constraint over columns is reported by its columns
  (``UNIQUE constraint failed: <table>.<a>, <table>.<b>``, looked up here from the model constraint of that
  name), one over expressions by its index (``UNIQUE constraint failed: index '<name>'``).
- Both: a trigger's error starts with its name (``<name>: <message>``, ``smsinbox.db_triggers``).

A ``unique=True`` field's constraint is named as PostgreSQL names it: ``<table>_<column>_key``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError
from django.db.models import UniqueConstraint


def refused_by(*names: str, error: type[Exception] = IntegrityError) -> Any:
    """A ``pytest.raises`` that passes only when one of the named rules refused the write."""
    assert names, "name the constraint or trigger expected to refuse the write"
    return pytest.raises(error, match=re.compile("|".join(_patterns(name) for name in names)))


def _patterns(name: str) -> str:
    quoted = re.escape(name)
    forms = [
        rf'violates (?:check|unique) constraint "{quoted}"',  # PostgreSQL
        rf"\ACHECK constraint failed: {quoted}\Z",  # SQLite
        rf"\AUNIQUE constraint failed: index '{quoted}'\Z",  # SQLite, a unique index over expressions
        rf"\A{quoted}: ",  # a trigger, either vendor
    ]
    columns = _unique_columns(name)
    if columns:
        forms.append(rf"\AUNIQUE constraint failed: {re.escape(', '.join(columns))}\Z")  # SQLite
    return "|".join(f"(?:{form})" for form in forms)


def _unique_columns(name: str) -> list[str]:
    """``table.column`` of the unique constraint ``name`` over fields (SQLite reports these, not the name)."""
    for model in apps.get_models():
        table = model._meta.db_table
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.name == name and constraint.fields:
                return [f"{table}.{model._meta.get_field(field).column}" for field in constraint.fields]
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key and f"{table}_{field.column}_key" == name:
                return [f"{table}.{field.column}"]
    return []
