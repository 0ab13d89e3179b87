"""Which petitions the system proposes for a meeting's agenda, and why (Shantou 四(一)–(二)).

On the agenda: unresolved or unsatisfied after handling; needing more departments than the lead can
coordinate; typical business-environment suggestions; a leader's instruction.
Never: ordinary suggestions; settled with the firm satisfied; in progress normally; the firm asked not to.
The exclusions hold by construction: every rule asks for an open petition that is late, unsatisfied,
multi-department, instructed or a common/overall suggestion, and opted-out petitions are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q

from meetings.models import AgendaRule, Meeting, Topic
from petitions import levels
from petitions.models import (
    HANDLING_STATES,
    OPEN_STATES,
    DemandClass,
    Evaluation,
    Petition,
    PetitionType,
    Rating,
    ScopeClass,
)


@dataclass(frozen=True)
class Proposal:
    petition: Petition
    rule: str

    @property
    def rule_label(self) -> str:
        return str(AgendaRule(self.rule).label)


def _rules(today: date) -> list[tuple[str, Q]]:
    unsatisfied = Evaluation.objects.filter(
        petition=OuterRef("pk"), rating=Rating.UNSATISFIED, is_valid=True
    )
    return [
        (
            AgendaRule.UNRESOLVED,
            Q(state__in=OPEN_STATES)
            & (Q(Exists(unsatisfied)) | Q(state__in=HANDLING_STATES, due_on__lt=today)),
        ),
        (AgendaRule.MULTI_DEPARTMENT, Q(state__in=HANDLING_STATES, n_co__gte=2)),
        (
            AgendaRule.TYPICAL_SUGGESTION,
            Q(type=PetitionType.SUGGESTION, state__in=OPEN_STATES)
            & (Q(scope_class=ScopeClass.OVERALL) | Q(demand_class=DemandClass.COMMON)),
        ),
        (AgendaRule.LEADER_INSTRUCTION, Q(state__in=OPEN_STATES) & ~Q(leader_instruction="")),
    ]


def proposals(meeting: Meeting, today: date, limit: int = 100) -> list[Proposal]:
    """Petitions of the meeting's jurisdiction that an agenda rule matches, with the first rule matched.

    Only the cases of the levels this meeting's level runs: a district with its own task force
    raises its cases at its own meetings and sends up what it cannot settle (docs/rules.md §1)."""
    on_agenda = Topic.objects.filter(petition=OuterRef("pk"), meeting__closed_at__isnull=True)
    base = (
        Petition.objects.filter(jurisdiction_id__in=levels.acting_ids(meeting.jurisdiction))
        .exclude(meeting_opt_out=True)
        .exclude(Exists(on_agenda))
        .annotate(n_co=Count("co_units", distinct=True))
        .select_related("enterprise", "lead_unit")
        .order_by("due_on", "pk")
    )
    found: dict[int, Proposal] = {}
    for rule, condition in _rules(today):
        for petition in base.filter(condition)[:limit]:
            found.setdefault(petition.pk, Proposal(petition, rule))
    return sorted(found.values(), key=lambda p: (p.petition.received_at, p.petition.pk))[:limit]
