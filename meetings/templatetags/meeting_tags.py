"""Template tags of the meeting pages; `{% quarter_warning user %}` is meant for the staff home page."""

from __future__ import annotations

from django import template
from django.utils import timezone

from meetings import selectors
from petitions.models import Role, User
from petitions.workdays import quarter_start

register = template.Library()


@register.inclusion_tag("meetings/_quarter_warning.html")
def quarter_warning(user: User) -> dict:
    """A warning listing the jurisdictions the user sees that have held no meeting this quarter
    (state held, assigned or closed, dated in the current quarter; docs/rules.md §5). Renders nothing for
    anyone else or when every jurisdiction has met."""
    today = timezone.localdate()
    return {
        "missing": selectors.jurisdictions_without_meeting(user, today),
        "quarter_start": quarter_start(today),
        "quarter_end": selectors.quarter_end(today),
        "can_plan": user.is_authenticated and user.has_role(Role.TASK_FORCE),
    }
