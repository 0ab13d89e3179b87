"""Which supervision policy applies to a jurisdiction: its own, its nearest parent's, or the default."""

from __future__ import annotations

from petitions.models import OrgUnit
from supervision.models import SupervisionPolicy


def policy_for(jurisdiction: OrgUnit | None) -> SupervisionPolicy:
    chain = [jurisdiction, *jurisdiction.ancestors()] if jurisdiction is not None else []
    rows = {p.jurisdiction_id: p for p in SupervisionPolicy.objects.filter(jurisdiction__in=chain)}
    for unit in chain:
        if unit.pk in rows:
            return rows[unit.pk]
    default = SupervisionPolicy.objects.filter(jurisdiction__isnull=True).first()
    return default or SupervisionPolicy()
