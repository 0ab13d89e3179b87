"""Post an admin change form as a browser would: every field as the page shows it, some changed."""

from __future__ import annotations

from typing import Any

from django.forms import MultiWidget

from petitions import roles
from petitions.models import User


def form_data(page: Any, **changes: Any) -> dict[str, Any]:
    """The POST of the change form on `page`; a change to None leaves the field out (an unticked box)."""
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for bound in form:
        if bound.field.disabled:
            continue
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, MultiWidget):
            parts = value if isinstance(value, list) else widget.decompress(value)
            for i, part in enumerate(parts):
                data[f"{bound.html_name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[bound.html_name] = "" if value is None else str(getattr(value, "pk", value))
    for inline in page.context.get("inline_admin_formsets", []):
        for bound in inline.formset.management_form:
            data[bound.html_name] = bound.value()
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def in_role_group(user: User) -> User:
    """Give an account its role's group, as a superuser would (the groups come from setup_roles)."""
    roles.apply()
    group = roles.groups()[user.role]
    user.is_staff = roles.ROLE_GROUPS[user.role].staff
    user.save(update_fields=["is_staff"])
    user.groups.add(group)
    return User.objects.get(pk=user.pk)  # no cached permissions
