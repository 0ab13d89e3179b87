"""The demo's reference data: the org tree, the firms and the accounts (fixtures/demo.json), and each
jurisdiction's routing catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password

from petitions import roles, routing
from petitions.models import (
    Enterprise,
    EnterpriseTag,
    OrgUnit,
    Role,
    RoutingRule,
    Theme,
    UnitKind,
    User,
)

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
MARKER_USERNAME = "zhuanban"  # present once the demo is loaded
STAFF_ROLES = {role for role, group in roles.ROLE_GROUPS.items() if group.staff}


def read_data() -> dict[str, Any]:
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


class World:
    """The demo's organisation, firms and accounts, created from fixtures/demo.json.

    Every jurisdiction (the city, its districts and its zone) runs the mechanism itself
    (docs/rules.md §1): each has its task force, leader, supervision office and departments.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.units: dict[str, OrgUnit] = {}
        self.firms: list[Enterprise] = []
        self.users: dict[str, User] = {}
        self.handlers: dict[int, User] = {}  # unit pk → its handler
        self.firm_users: dict[int, User] = {}  # enterprise pk → its account
        self.task_forces: dict[int, User] = {}  # jurisdiction pk → its task force's account
        self.leaders: dict[int, User] = {}  # jurisdiction pk → its leader
        # (jurisdiction pk, the city department's key) → the department that does that work there:
        # the city's 工信局 "gongxin" is 龙湖区工信局 in 龙湖区 and 高新区经发局 in the zone.
        self.counterparts: dict[tuple[int, str], OrgUnit] = {}
        self.themes = dict(Theme.objects.values_list("code", "pk"))

    def create(self) -> None:
        self._units()
        self._firms()
        self._accounts()
        for username, codes in self.data["liaison_leaders"].items():
            for firm in Enterprise.objects.filter(uscc__in=codes):
                firm.liaison_leaders.add(self.users[username])
        # The catalogue's defaults for every jurisdiction (docs/rules.md §10), before any case is
        # assigned, so that its counters count the demo's proposals.
        for unit in self.jurisdictions():
            routing.seed_defaults(unit)

    def jurisdictions(self) -> list[OrgUnit]:
        return [u for u in self.units.values() if u.is_jurisdiction]

    def counterpart(self, jurisdiction: OrgUnit, key: str) -> OrgUnit | None:
        """The department of `jurisdiction` that does the work of the city department `key`."""
        return self.counterparts.get((jurisdiction.pk, key))

    def default_lead(self, jurisdiction: OrgUnit, theme: str) -> OrgUnit:
        """The lead the jurisdiction's routing catalogue proposes for a theme."""
        rule = RoutingRule.objects.filter(
            jurisdiction=jurisdiction, theme_id=self.themes[theme]
        ).first()
        if rule is None:  # pragma: no cover - fixtures/demo.json gives every level its departments
            raise RuntimeError(f"the demo has no routing rule for {theme} in {jurisdiction}")
        return rule.unit

    def _units(self) -> None:
        for row in self.data["units"]:
            unit = OrgUnit(
                name=row["name"],
                short_name=row.get("short_name", ""),
                kind=row["kind"],
                parent=self.units.get(row["parent"]) if row["parent"] else None,
                contact_name=row.get("contact_name", ""),
                contact_phone=row.get("contact_phone", ""),
                is_stationed=row.get("is_stationed", False),
                number_prefix=row.get("number_prefix", ""),
            )
            unit.full_clean()
            unit.save()
            self.units[row["key"]] = unit
            if unit.kind == UnitKind.DEPARTMENT and unit.parent_id is not None:
                self.counterparts[(unit.parent_id, row.get("counterpart", row["key"]))] = unit

    def _firms(self) -> None:
        tags = {t.code: t for t in EnterpriseTag.objects.all()}
        for row in self.data["enterprises"]:
            firm = Enterprise(
                uscc=row["uscc"],
                name=row["name"],
                legal_representative=row["legal_representative"],
                contact_name=row["contact_name"],
                contact_phone=row["contact_phone"],
                email=row["email"],
                address=row["address"],
                jurisdiction=self.units[row["jurisdiction"]],
                industry=row["industry"],
                ownership=row["ownership"],
                is_chamber=row["is_chamber"],
                is_verified=True,
            )
            firm.full_clean()
            firm.save()
            firm.tags.set([tags[code] for code in row["tags"]])
            self.firms.append(firm)

    def _accounts(self) -> None:
        # Hashed once: hashing is the slow part of creating users.
        hashed = make_password(self.data["password"])
        by_uscc = {f.uscc: f for f in self.firms}
        groups = roles.groups()
        for row in self.data["accounts"]:
            role = row["role"]
            user = User(
                username=row["username"],
                first_name=row["name"],
                email=f"{row['username']}@example.com",
                role=role,
                unit=self.units[row["unit"]] if row.get("unit") else None,
                enterprise=by_uscc[row["enterprise"]] if row.get("enterprise") else None,
                mobile=row.get("mobile", ""),
                is_staff=bool(row.get("superuser")) or role in STAFF_ROLES,
                is_superuser=bool(row.get("superuser")),
                password=hashed,
            )
            user.full_clean(exclude=["password"])
            user.save()
            if role in groups:
                user.groups.add(groups[role])
            self.users[user.username] = user
            if role == Role.HANDLER:
                self.handlers.setdefault(user.unit_id, user)
            if role == Role.TASK_FORCE and user.unit is not None:
                self.task_forces.setdefault(user.unit.jurisdiction().pk, user)
            if role == Role.LEADER and user.unit is not None:
                self.leaders.setdefault(user.unit.jurisdiction().pk, user)
            if role == Role.ENTERPRISE:
                self.firm_users.setdefault(user.enterprise_id, user)
