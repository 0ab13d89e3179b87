"""Which levels' supervision items a reader acts on (docs/rules.md §1, §7).

Each level's leaders, task force and supervision office decide and follow up the key-supervision items
of their own level's petitions. A parent reads its districts' items (the roll-up) but acts on them only
for a level below that has nobody of that role yet: the parent stands in, as petitions/levels.py does
for the task force. A petition passed up counts, and is supervised, where it is now.
"""

from __future__ import annotations

from petitions import levels
from petitions.models import Petition, Role, User


def acting_ids(user: User) -> set[int]:
    """The jurisdictions whose items `user` acts on: their own, and those below it without anyone
    of the user's role (through an unbroken chain of such)."""
    if user.unit_id is None or not user.is_active:
        return set()
    if user.role not in (Role.TASK_FORCE, Role.LEADER, Role.SUPERVISOR):
        return set()
    return levels.acting_ids(user.unit, user.role)


def acts_on(user: User, petition: Petition) -> bool:
    """Whether `user` may act on the supervision of this petition (else they only read it)."""
    return petition.jurisdiction_id in acting_ids(user)
