"""`{% merged_into petition as merged %}`: the duplicate notice of the firm's portal page."""

from __future__ import annotations

from django import template

from petitions import merged
from petitions.models import Petition

register = template.Library()


@register.simple_tag
def merged_into(petition: Petition) -> merged.Merged | None:
    return merged.for_firm(petition)
