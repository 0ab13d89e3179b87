"""What `load_demo` prints: the demo accounts and the petitions by state."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from petitions.models import (
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


def summary(data: dict[str, Any], write: Callable[[str], object]) -> None:
    """The demo accounts with their shared password, and the petitions by state, line by line to `write`."""
    password = data["password"]
    write(f"\nDemo accounts — password for all: {password} (demo only, never in production)\n")
    rows = [("username", "role", "unit / enterprise")]
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[a["username"] for a in data["accounts"]]
        ).select_related("unit", "enterprise")
    }
    for account in data["accounts"]:
        user = users.get(account["username"])
        if user is None:
            continue
        role = "superuser" if user.is_superuser else str(Role(user.role).label)
        where = user.enterprise.name if user.enterprise else (user.unit.name if user.unit else "")
        rows.append((user.username, role, where))
    # The firms of the verification queue (petitions/demo/verification.py).
    for user in User.objects.filter(username__in=DEMO_QUEUE_USERNAMES).select_related("enterprise"):
        state = _("refused") if user.enterprise.refused_at else _("awaiting verification")
        rows.append((user.username, f"{Role(user.role).label}（{state}）", user.enterprise.name))
    widths = [max(_width(row[i]) for row in rows) + 2 for i in range(2)]
    for row in rows:
        write(_pad(row[0], widths[0]) + _pad(row[1], widths[1]) + row[2])

    counts = Counter(Petition.objects.values_list("state", flat=True))
    write(f"\nPetitions by state ({sum(counts.values())} in all):")
    for state in State:
        write(f"  {_pad(state.value, 20)}{counts.get(state.value, 0):>4}  {state.label}")
    overdue = Petition.objects.overdue(timezone.localdate()).count()
    write(f"  {_pad('overdue today', 20)}{overdue:>4}\n")
