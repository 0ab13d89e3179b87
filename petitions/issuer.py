"""Who issues a petition's printed documents: one answer for the header, the signature, the seal line
and the numbers of the transfer letter, the approval form and the dossier (docs/rules.md §1, §4.12).

The issuing body is the task force of the jurisdiction that runs the case (`levels.run_by`): the
district's own task force for a district case, the parent's where a level has no task force yet, and
then the document says it acts on the level's behalf (代…). Once a letter is issued, the task force
that issued it stays the issuer, so a reprint never names a body that did not sign it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from petitions import levels
from petitions.models import OrgUnit, Petition, Role, UnitKind, User


@dataclass(frozen=True)
class IssuingBody:
    """What a printed document says about who issued it."""

    name: str  # the task force's name: header and signature (汕头市龙湖区政企直通车工作专班)
    unit: OrgUnit | None  # its task-force unit; None when no level has one yet
    jurisdiction: OrgUnit  # the jurisdiction whose task force issues
    case_jurisdiction: OrgUnit  # the petition's jurisdiction
    number: str  # the petition number (ZQLH2026-000001)
    letter_number: str  # the transfer letter's number, once issued (ZBLH2026-000001)

    @property
    def stands_in(self) -> bool:
        """The parent's task force issues for a level that has none of its own."""
        return self.jurisdiction.pk != self.case_jurisdiction.pk

    @property
    def on_behalf(self) -> str:
        """代龙湖区: printed under the name when the issuer stands in; empty otherwise."""
        if not self.stands_in:
            return ""
        return _("on behalf of %(jurisdiction)s") % {"jurisdiction": self.case_jurisdiction.name}

    @property
    def seal(self) -> str:
        """The seal line above the date: the issuing body's name and （盖章）."""
        return _("%(name)s (seal)") % {"name": self.name}


def task_force_unit(jurisdiction: OrgUnit) -> OrgUnit | None:
    """The jurisdiction's task-force unit: the one with task-force accounts first (that is the one
    `levels.run_by` counted), else a task-force unit that has no accounts yet."""
    staffed = Exists(User.objects.filter(unit=OuterRef("pk"), role=Role.TASK_FORCE, is_active=True))
    return (
        OrgUnit.objects.filter(parent=jurisdiction, is_active=True)
        .annotate(staffed=staffed)
        .filter(Q(kind=UnitKind.TASK_FORCE) | Q(staffed=True))
        .order_by("-staffed", "pk")
        .first()
    )


def _signer_unit(issued_by: User | None, case: OrgUnit) -> OrgUnit | None:
    """The task-force unit of whoever issued the letter, if it is one of this case's level or a level
    above (someone since moved elsewhere does not take the letter along)."""
    if issued_by is None or issued_by.role != Role.TASK_FORCE or issued_by.unit is None:
        return None
    unit = issued_by.unit
    chain = {case.pk, *(u.pk for u in case.ancestors())}
    return unit if unit.parent_id in chain and unit.parent.is_jurisdiction else None


def issuing_body(petition: Petition, issued_by: User | None = None) -> IssuingBody:
    """The body that issues this petition's documents; `issued_by` is the task-force member who
    issued the transfer letter, if one was issued (selectors.staff.issuer)."""
    case = petition.jurisdiction
    unit = _signer_unit(issued_by, case) if petition.transfer_letter_no else None
    if unit is not None:
        runner = unit.parent
    else:
        runner = levels.run_by(case)
        # A level with no task-force unit on record: the nearest one above issues.
        for level in (runner, *(u for u in runner.ancestors() if u.is_jurisdiction)):
            unit = task_force_unit(level)
            if unit is not None:
                runner = level
                break
    name = unit.name if unit else f"{runner.name}{_('Enterprise Direct Line task force')}"
    return IssuingBody(
        name=name,
        unit=unit,
        jurisdiction=runner,
        case_jurisdiction=case,
        number=petition.number,
        letter_number=petition.transfer_letter_no,
    )
