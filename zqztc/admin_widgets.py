"""The admin's autocomplete widgets survive an id that is not one.

Django's AutocompleteSelect re-renders a refused form by looking the submitted ids up
(`queryset.filter(pk__in=...)`). An id the key cannot hold ("abc", "1e309") raised ValueError
there: a server error instead of the form with "Select a valid choice". Django offers no setting
for the widget class of `autocomplete_fields` (ModelAdmin imports it by name), so `install()`,
called once from PetitionsConfig.ready, wraps `AutocompleteMixin.optgroups` to drop such values
before the lookup; the form field still reports them as invalid choices.
"""

from __future__ import annotations

from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import ValidationError

_original_optgroups = AutocompleteMixin.optgroups


def _holds(widget: AutocompleteMixin, value: object) -> bool:
    """Whether the related key can hold `value` (an id typed into the form)."""
    opts = widget.field.remote_field.model._meta
    key = opts.get_field(getattr(widget.field.remote_field, "field_name", None) or opts.pk.name)
    try:
        key.get_prep_value(key.to_python(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return True


def _optgroups(self: AutocompleteMixin, name: str, value: list, attr: dict | None = None) -> list:
    return _original_optgroups(self, name, [v for v in value if _holds(self, v)], attr)


def install() -> None:
    AutocompleteMixin.optgroups = _optgroups
