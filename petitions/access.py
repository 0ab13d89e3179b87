"""Who may see and do what (docs/rules.md §1, §8). The one place other modules ask."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from petitions import levels
from petitions.models import Petition, Role, User
from petitions.models.org import jurisdiction_ids_under

# Re-exported: other modules ask access.py who may see what.
__all__ = [
    "jurisdiction_ids_under",
    "require_approval_leader",
    "require_co_unit",
    "require_enterprise_member",
    "require_enterprise_or_task_force",
    "require_lead_unit",
    "require_leader",
    "require_proposed_unit",
    "require_task_force",
    "task_force_acts_on",
]


def _in_jurisdiction(user: User, petition: Petition) -> bool:
    return user.unit_id is not None and petition.jurisdiction_id in jurisdiction_ids_under(
        user.unit
    )


def task_force_acts_on(user: User, petition: Petition) -> bool:
    """A task force acts on its own level's cases and those of levels below without a task force;
    it only reads the rest of its districts' cases (docs/rules.md §1)."""
    return (
        user.has_role(Role.TASK_FORCE)
        and user.unit_id is not None
        and petition.jurisdiction_id in levels.acting_ids(user.unit)
    )


def require_task_force(user: User, petition: Petition) -> None:
    if not task_force_acts_on(user, petition):
        raise PermissionDenied(_("Only the task force of this jurisdiction may do this."))


def require_leader(user: User, petition: Petition) -> None:
    if not (user.has_role(Role.LEADER) and _in_jurisdiction(user, petition)):
        raise PermissionDenied(_("Only a leader of this jurisdiction may do this."))


def require_approval_leader(user: User, petition: Petition) -> None:
    """An approval is decided by the leader it was submitted (or reassigned) to, no other."""
    require_leader(user, petition)
    if petition.approval_leader_id != user.pk:
        raise PermissionDenied(_("Only the leader this approval was submitted to may decide it."))


def require_proposed_unit(user: User, petition: Petition) -> None:
    if not (
        user.has_role(Role.HANDLER) and user.unit_id and user.unit_id == petition.proposed_unit_id
    ):
        raise PermissionDenied(_("Only the unit this petition was proposed to may do this."))


def require_lead_unit(user: User, petition: Petition) -> None:
    if not (user.has_role(Role.HANDLER) and user.unit_id and user.unit_id == petition.lead_unit_id):
        raise PermissionDenied(_("Only the lead unit of this petition may do this."))


def require_co_unit(user: User, petition: Petition) -> None:
    if not (
        user.has_role(Role.HANDLER)
        and user.unit_id
        and petition.co_units.filter(pk=user.unit_id).exists()
    ):
        raise PermissionDenied(_("Only a co-handling unit of this petition may do this."))


def require_enterprise_member(user: User, petition: Petition) -> None:
    if not (user.has_role(Role.ENTERPRISE) and user.enterprise_id == petition.enterprise_id):
        raise PermissionDenied(_("Only the enterprise that submitted this petition may do this."))


def require_enterprise_or_task_force(user: User, petition: Petition) -> None:
    if user.has_role(Role.ENTERPRISE):
        require_enterprise_member(user, petition)
    else:
        require_task_force(user, petition)
