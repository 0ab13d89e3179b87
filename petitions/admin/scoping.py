"""What a member of staff may pick or change in the admin: the firms and units of their own
jurisdictions (petitions/access.py decides what those are); a superuser, everything.
"""

from __future__ import annotations

from django.db.models import QuerySet

from petitions import access
from petitions.models import (
    Enterprise,
    Petition,
    User,
)


def jurisdiction_ids(user: User) -> list[int] | None:
    """The jurisdictions a user works in; None means all (superusers)."""
    if user.is_superuser:
        return None
    if user.unit_id is None:
        return []
    return access.jurisdiction_ids_under(user.unit)


def enterprises_for(user: User, qs: QuerySet[Enterprise] | None = None) -> QuerySet[Enterprise]:
    """Firms registered in the user's jurisdictions; all of them for superusers."""
    qs = Enterprise.objects.all() if qs is None else qs
    ids = jurisdiction_ids(user)
    return qs if ids is None else qs.filter(jurisdiction_id__in=ids)


def visible_petitions(user: User) -> QuerySet[Petition]:
    return Petition.objects.all() if user.is_superuser else Petition.objects.visible_to(user)
