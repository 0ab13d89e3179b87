"""The demo's reference data: the org tree, the firms and the accounts (fixtures/demo.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password

from petitions import roles
from petitions.models import (
    Enterprise,
    EnterpriseTag,
    OrgUnit,
    Role,
    Theme,
    User,
)

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
MARKER_USERNAME = "zhuanban"  # present once the demo is loaded
STAFF_ROLES = {role for role, group in roles.ROLE_GROUPS.items() if group.staff}


def read_data() -> dict[str, Any]:
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


class World:
    """The demo's organisation, firms and accounts, created from fixtures/demo.json."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.units: dict[str, OrgUnit] = {}
        self.firms: list[Enterprise] = []
        self.users: dict[str, User] = {}
        self.handlers: dict[int, User] = {}  # unit pk → its handler
        self.firm_users: dict[int, User] = {}  # enterprise pk → its account
        self.themes = dict(Theme.objects.values_list("code", "pk"))

    def create(self) -> None:
        self._units()
        self._firms()
        self._accounts()
        for username, codes in self.data["liaison_leaders"].items():
            for firm in Enterprise.objects.filter(uscc__in=codes):
                firm.liaison_leaders.add(self.users[username])

    def _units(self) -> None:
        for row in self.data["units"]:
            unit = OrgUnit(
                name=row["name"],
                short_name=row.get("short_name", ""),
                kind=row["kind"],
                parent=self.units.get(row["parent"]) if row["parent"] else None,
                contact_name=row.get("contact_name", ""),
                contact_phone=row.get("contact_phone", ""),
            )
            unit.full_clean()
            unit.save()
            self.units[row["key"]] = unit

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
            if role == Role.ENTERPRISE:
                self.firm_users.setdefault(user.enterprise_id, user)

    # --- petitions ----------------------------------------------------------------------------------
