"""Roles as code: the admin rights of each role's group, applied by `manage.py setup_roles`.

Least privilege. The task force keeps the reference data (time limits, routing catalogue, themes,
tags, calendar, supervision policy) and the firms and firm accounts of its jurisdiction (the admin
scopes both), and drives petitions and meetings; leaders and the supervision office read; department
handlers work on their own pages and have no admin rights. No group holds a right over staff
accounts, groups or permissions (`auth.*`): only a superuser manages those, and the user admin
refuses the rest (petitions/admin/users.py, `UserAdmin`).

`apply()` makes the groups match this table exactly: it creates missing groups, adds missing
permissions and removes permissions the table no longer lists, so running it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from petitions.models import Role

VIEW = ("view",)
VIEW_CHANGE = ("view", "change")
VIEW_ADD_CHANGE = ("view", "add", "change")
ALL = ("view", "add", "change", "delete")

# Records written by workflows and jobs: read in the admin, never edited by hand.
_RECORDS = (
    "petitions.petitionnumber",
    "petitions.jurisdictionnumber",
    "petitions.leveltransfer",
    "petitions.deadline",
    "petitions.petitionevent",
    "petitions.attachment",
    "petitions.contactrecord",
    "petitions.progressreport",
    "petitions.reply",
    "petitions.evaluation",
    "petitions.notification",
    "supervision.jobrun",
    "supervision.sweep",
    "supervision.sweepitem",
    "supervision.keysupervision",
    "supervision.keyfollowup",
    "supervision.reminder",
    "meetings.meetingevaluation",
)

# Everything leaders and the supervision office may read: all of the above and the data they rest
# on, but no accounts (the user list is the superuser's and, for firm accounts, the task force's).
_READABLE = (
    *_RECORDS,
    "petitions.petition",
    "petitions.extension",
    "petitions.petitionreturn",
    "petitions.orgunit",
    "petitions.enterprise",
    "petitions.enterprisetag",
    "petitions.theme",
    "petitions.routingrule",
    "petitions.timelimitpolicy",
    "petitions.calendaroverride",
    "petitions.calendaryear",
    "supervision.supervisionpolicy",
    "meetings.meeting",
    "meetings.topic",
    "meetings.catalogueitem",
)

TASK_FORCE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(_RECORDS, VIEW),
    # Registering goes through the workflow; a lifecycle action needs `change` on the model it
    # acts on (petitions/admin/actions.py); nothing is deleted.
    "petitions.petition": VIEW_ADD_CHANGE,
    "petitions.extension": VIEW_CHANGE,
    "petitions.petitionreturn": VIEW_CHANGE,
    # Reference data.
    "petitions.theme": VIEW_ADD_CHANGE,  # retired by unticking "active": petitions refer to them
    "petitions.enterprisetag": ALL,
    "petitions.routingrule": ALL,
    "petitions.timelimitpolicy": ALL,  # without a jurisdiction's own row the default applies
    "petitions.calendaroverride": ALL,
    "petitions.calendaryear": ("view", "add"),  # adding confirms the year, through the workflow
    "supervision.supervisionpolicy": ALL,  # likewise falls back to the default row
    # Firms and firm accounts of its jurisdiction (the admin scopes both). Not the org tree: a
    # unit's place in it decides what its people see.
    "petitions.enterprise": VIEW_ADD_CHANGE,
    "petitions.user": VIEW_CHANGE,
    "petitions.orgunit": VIEW,
    # Meetings are run on the meeting pages; the admin corrects their data.
    "meetings.meeting": VIEW_CHANGE,
    "meetings.topic": VIEW_CHANGE,
    "meetings.catalogueitem": VIEW_CHANGE,
}

READER_PERMISSIONS: dict[str, tuple[str, ...]] = dict.fromkeys(_READABLE, VIEW)


@dataclass(frozen=True)
class RoleGroup:
    """The group that carries one role's admin rights."""

    name: str
    # Whether accounts of this role sign in to the admin (`is_staff`).
    staff: bool
    # "app_label.modelname" → actions ("view", "add", "change", "delete").
    permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def codenames(self) -> set[tuple[str, str]]:
        """(app_label, codename) of every permission the group holds."""
        return {
            (label.split(".")[0], f"{action}_{label.split('.')[1]}")
            for label, actions in self.permissions.items()
            for action in actions
        }


# The group names are those the groups have carried since the first demo.
ROLE_GROUPS: dict[str, RoleGroup] = {
    Role.TASK_FORCE: RoleGroup("工作专班", staff=True, permissions=TASK_FORCE_PERMISSIONS),
    Role.LEADER: RoleGroup("领导", staff=True, permissions=READER_PERMISSIONS),
    Role.SUPERVISOR: RoleGroup("督查室", staff=True, permissions=READER_PERMISSIONS),
    Role.HANDLER: RoleGroup("承办单位经办人", staff=False),
}


@dataclass
class GroupChange:
    name: str
    created: bool
    added: list[str]
    removed: list[str]

    @property
    def changed(self) -> bool:
        return self.created or bool(self.added or self.removed)


class MissingPermissions(LookupError):
    """The table names permissions that do not exist (a typo, or a model that was renamed)."""


def _label(perm: Permission) -> str:
    return f"{perm.content_type.app_label}.{perm.codename}"


@transaction.atomic
def apply() -> dict[str, GroupChange]:
    """Create each role's group and give it exactly the permissions of the table."""
    by_key = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type")
    }
    changes: dict[str, GroupChange] = {}
    for role, spec in ROLE_GROUPS.items():
        wanted_keys = spec.codenames()
        missing = sorted(f"{app}.{code}" for app, code in wanted_keys - by_key.keys())
        if missing:
            raise MissingPermissions(", ".join(missing))
        wanted = {by_key[key] for key in wanted_keys}
        group, created = Group.objects.get_or_create(name=spec.name)
        current = set(group.permissions.select_related("content_type"))
        added, removed = wanted - current, current - wanted
        if added:
            group.permissions.add(*added)
        if removed:
            group.permissions.remove(*removed)
        changes[role] = GroupChange(
            name=spec.name,
            created=created,
            added=sorted(map(_label, added)),
            removed=sorted(map(_label, removed)),
        )
    return changes


def groups() -> dict[str, Group]:
    """Each role's group, as `apply()` left it."""
    by_name = {
        g.name: g for g in Group.objects.filter(name__in=[s.name for s in ROLE_GROUPS.values()])
    }
    return {role: by_name[spec.name] for role, spec in ROLE_GROUPS.items()}
