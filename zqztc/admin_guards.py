"""The Django admin survives ids that are not ids.

Two places in Django's admin look submitted ids up without checking them first, so an id the key
cannot hold ("", "abc", "1e309") raised ValueError: a server error instead of the admin's own
message.

- `AutocompleteSelect` re-renders a refused form by looking the submitted ids up
  (`queryset.filter(pk__in=...)`); the wrapped `optgroups` drops such values first, and the form
  field still reports them as an invalid choice.
- A changelist action filters by the ticked rows (`_selected_action`); the wrapped
  `response_action` drops such values first, so nothing selected gives Django's "Items must be
  selected" message.

Django offers no setting for either (ModelAdmin imports the widget by name), so `install()`,
called once from PetitionsConfig.ready, wraps the two methods.
"""

from __future__ import annotations

from django.contrib.admin import ModelAdmin, helpers
from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Field, QuerySet
from django.http import HttpRequest, HttpResponseBase

_original_optgroups = AutocompleteMixin.optgroups
_original_response_action = ModelAdmin.response_action


def holds(key: Field, value: object) -> bool:
    """Whether the key field can hold `value`, an id as submitted."""
    try:
        prepared = key.get_prep_value(key.to_python(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    if isinstance(prepared, int):
        # SQLite cannot even bind an integer past 64 bits (OverflowError); no backend stores one.
        try:
            low, high = connection.ops.integer_field_range(key.get_internal_type())
        except KeyError:  # an integer key of a type the backend sets no range for
            return True
        return (low is None or prepared >= low) and (high is None or prepared <= high)
    return True


def _optgroups(self: AutocompleteMixin, name: str, value: list, attr: dict | None = None) -> list:
    opts = self.field.remote_field.model._meta
    key = opts.get_field(getattr(self.field.remote_field, "field_name", None) or opts.pk.name)
    return _original_optgroups(self, name, [v for v in value if holds(key, v)], attr)


def _response_action(
    self: ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponseBase | None:
    selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
    kept = [v for v in selected if holds(self.model._meta.pk, v)]
    if kept != selected:
        post = request.POST.copy()
        post.setlist(helpers.ACTION_CHECKBOX_NAME, kept)
        request.POST = post
    return _original_response_action(self, request, queryset)


def install() -> None:
    AutocompleteMixin.optgroups = _optgroups
    ModelAdmin.response_action = _response_action
