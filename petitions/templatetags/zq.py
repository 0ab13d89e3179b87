"""Display helpers shared by every audience; no queries, no arithmetic beyond formatting."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from petitions import events

register = template.Library()


@register.inclusion_tag("_partials/due_badge.html")
def due_badge(due_on: object, days_left: int | None) -> dict:
    """Working days left before a due date, or how late it is (computed by deadlines.annotate_days_left)."""
    if not due_on or days_left is None:
        return {"text": "", "css": ""}
    if days_left < 0:
        text = ngettext(
            "overdue by %(n)d working day", "overdue by %(n)d working days", -days_left
        ) % {"n": -days_left}
        css = "zq-due-overdue"
    elif days_left == 0:
        text, css = _("due today"), "zq-due-soon"
    else:
        text = ngettext("%(n)d working day left", "%(n)d working days left", days_left) % {
            "n": days_left
        }
        css = "zq-due-soon" if days_left <= 2 else ""
    return {"text": text, "css": css, "due_on": due_on}


@register.filter
def action_label(action: str) -> str:
    return events.label(action)
