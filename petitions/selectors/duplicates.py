"""Likely duplicates of a petition at triage (docs/rules.md §3 重复件; Shantou 二 last paragraph).

A petition is a likely duplicate of an *earlier* one of the same firm, received within the last
180 days, that was not rejected, withdrawn or itself merged, and whose text is similar. Similarity
is the Dice coefficient of character bigrams (petitions/similar.py): portable to SQLite and
PostgreSQL, and suited to Chinese, which has no spaces between words. Candidates come in one query,
also for a whole page of the intake queue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from petitions.models import Petition, PetitionQuerySet, State
from petitions.similar import bigrams, dice

WINDOW_DAYS = 180
THRESHOLD = 0.3
LIMIT = 5
# An original must not be one of these; a registered one is shown but cannot be chosen yet.
EXCLUDED_STATES = (State.REJECTED, State.WITHDRAWN, State.DUPLICATE)


@dataclass(frozen=True)
class Match:
    petition: Petition
    similarity: float
    days_earlier: int

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)

    @property
    def selectable(self) -> bool:
        """`workflow.mark_duplicate` needs an original that was accepted."""
        return self.petition.state != State.REGISTERED

    @property
    def reason(self) -> str:
        days = ngettext("%(n)d day earlier", "%(n)d days earlier", self.days_earlier) % {
            "n": self.days_earlier
        }
        if self.days_earlier == 0:
            days = _("the same day")
        return _("same firm, %(percent)d%% similar text, %(days)s") % {
            "percent": self.percent,
            "days": days,
        }


def _text(petition: Petition) -> str:
    return f"{petition.title} {petition.content} {petition.request}"


def _is_earlier(candidate: Petition, petition: Petition) -> bool:
    return (candidate.received_at, candidate.pk) < (petition.received_at, petition.pk)


def _candidates(petitions: list[Petition], visible: PetitionQuerySet) -> dict[int, list[Petition]]:
    """Earlier petitions of the same firms in the window, by enterprise id (one query)."""
    if not petitions:
        return {}
    start = min(p.received_at for p in petitions) - timedelta(days=WINDOW_DAYS)
    end = max(p.received_at for p in petitions)
    rows = (
        visible.filter(
            enterprise_id__in={p.enterprise_id for p in petitions},
            received_at__gte=start,
            received_at__lte=end,
        )
        .exclude(state__in=EXCLUDED_STATES)
        .only(
            "pk", "number", "title", "content", "request", "state", "received_at", "enterprise_id"
        )
        .order_by("-received_at", "-pk")
    )
    by_firm: dict[int, list[Petition]] = defaultdict(list)
    for row in rows:
        by_firm[row.enterprise_id].append(row)
    return by_firm


def _matches(petition: Petition, candidates: Iterable[Petition], limit: int) -> list[Match]:
    wanted = bigrams(_text(petition))
    day = timezone.localdate(petition.received_at)
    matches = []
    for candidate in candidates:
        if candidate.pk == petition.pk or not _is_earlier(candidate, petition):
            continue
        if petition.received_at - candidate.received_at > timedelta(days=WINDOW_DAYS):
            continue
        similarity = dice(wanted, bigrams(_text(candidate)))
        if similarity >= THRESHOLD:
            earlier = (day - timezone.localdate(candidate.received_at)).days
            matches.append(Match(candidate, similarity, earlier))
    matches.sort(key=lambda m: (-m.similarity, m.days_earlier))
    return matches[:limit]


def likely_duplicates(
    petition: Petition, visible: PetitionQuerySet, limit: int = LIMIT
) -> list[Match]:
    """The earlier petitions this one most likely repeats, best first."""
    return _matches(
        petition, _candidates([petition], visible).get(petition.enterprise_id, []), limit
    )


def flag(petitions: Iterable[Petition], visible: PetitionQuerySet) -> None:
    """Set `duplicate_match` (the best Match or None) on each petition of a page, in one query."""
    petitions = list(petitions)
    by_firm = _candidates(petitions, visible)
    for petition in petitions:
        found = _matches(petition, by_firm.get(petition.enterprise_id, []), 1)
        petition.duplicate_match = found[0] if found else None
