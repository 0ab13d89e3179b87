"""What `load_demo` prints: the demo accounts by jurisdiction and the petitions by state."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from petitions.models import (
    OrgUnit,
    Petition,
    Role,
    State,
    User,
)

DEMO_QUEUE_USERNAMES = ("firm001", "firm002")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


# Within a level: its task force, leader and supervision office first, then its units, then firms.
_ROLE_ORDER = [Role.TASK_FORCE, Role.LEADER, Role.SUPERVISOR, Role.HANDLER, Role.ENTERPRISE]


def _level(user: User) -> OrgUnit | None:
    """The jurisdiction an account belongs to: its firm's, or its unit's; None for the admin."""
    if user.enterprise is not None:
        return user.enterprise.jurisdiction
    return user.unit.jurisdiction() if user.unit is not None else None


def _heading(level: OrgUnit | None) -> str:
    if level is None:
        return "All levels"
    heading = f"{level.name} · {level.get_kind_display()}"
    if level.number_prefix:
        heading += f" · ZQ{level.number_prefix}…"
    return heading


def _rows(data: dict[str, Any]) -> dict[OrgUnit | None, list[tuple[str, str, str]]]:
    """(username, role, unit or firm) of every demo account, by level: the admin (None) first,
    then the levels in the order they were created, each in _ROLE_ORDER."""
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[a["username"] for a in data["accounts"]]
        ).select_related("unit__parent__parent", "enterprise__jurisdiction")
    }
    found: list[tuple[OrgUnit | None, int, tuple[str, str, str]]] = []
    for account in data["accounts"]:
        user = users.get(account["username"])
        if user is None:
            continue
        role = "superuser" if user.is_superuser else str(Role(user.role).label)
        where = user.enterprise.name if user.enterprise else (user.unit.name if user.unit else "")
        order = _ROLE_ORDER.index(user.role) if user.role in _ROLE_ORDER else -1
        found.append((_level(user), order, (user.username, role, where)))
    # The firms of the verification queue (petitions/demo/verification.py).
    queue = User.objects.filter(username__in=DEMO_QUEUE_USERNAMES).select_related(
        "enterprise__jurisdiction"
    )
    for user in queue:
        state = _("refused") if user.enterprise.refused_at else _("awaiting verification")
        row = (user.username, f"{Role(user.role).label}（{state}）", user.enterprise.name)
        found.append((user.enterprise.jurisdiction, len(_ROLE_ORDER), row))
    found.sort(key=lambda item: (item[0].pk if item[0] else 0, item[1]))  # stable: fixture order
    groups: dict[OrgUnit | None, list[tuple[str, str, str]]] = {}
    for level, _order, row in found:
        groups.setdefault(level, []).append(row)
    return groups


def summary(data: dict[str, Any], write: Callable[[str], object]) -> None:
    """The demo accounts with their shared password, grouped by jurisdiction (each runs the
    mechanism itself, docs/rules.md §1), and the petitions by state, line by line to `write`."""
    password = data["password"]
    write(f"\nDemo accounts — password for all: {password} (demo only, never in production)\n")
    groups = _rows(data)
    header = ("username", "role", "unit / enterprise")
    rows = [header, *(row for group in groups.values() for row in group)]
    widths = [max(_width(row[i]) for row in rows) + 2 for i in range(2)]
    write(_pad(header[0], widths[0]) + _pad(header[1], widths[1]) + header[2])
    for level, group in groups.items():
        write(f"— {_heading(level)}")
        for row in group:
            write(_pad(row[0], widths[0]) + _pad(row[1], widths[1]) + row[2])

    counts = Counter(Petition.objects.values_list("state", flat=True))
    write(f"\nPetitions by state ({sum(counts.values())} in all):")
    for state in State:
        write(f"  {_pad(state.value, 20)}{counts.get(state.value, 0):>4}  {state.label}")
    overdue = Petition.objects.overdue(timezone.localdate()).count()
    write(f"  {_pad('overdue today', 20)}{overdue:>4}\n")
