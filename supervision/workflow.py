"""Key supervision 重点督办 (Shantou 三(五)): a leader approves what the sweep proposed; the task force and the
supervision office follow up until the petition is settled, then it is closed out (销号)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from petitions import access
from petitions import workflow_kit as kit
from petitions.exceptions import WorkflowError
from petitions.models import OPEN_STATES, Role, User
from supervision import acting
from supervision.models import KeyFollowUp, KeyStatus, KeySupervision

FOLLOW_UP_EVERY = timedelta(days=7)


def _lock(key_id: int) -> KeySupervision:
    return kit.lock(
        KeySupervision,
        key_id,
        _("This key-supervision item does not exist."),
        related=("petition",),
    )


def _require(actor: User, key: KeySupervision, *roles: str) -> None:
    """The actor's role, and the petition's level is theirs to act on: a city's leaders and offices
    read their districts' items but a district with its own acts on them (docs/rules.md §1)."""
    if not actor.has_role(*roles) or actor.unit_id is None:
        raise PermissionDenied(_("You may not do this."))
    if key.petition.jurisdiction_id not in access.jurisdiction_ids_under(actor.unit):
        raise PermissionDenied(_("You may not do this."))
    if not acting.acts_on(actor, key.petition):
        raise PermissionDenied(
            _("Another level supervises this item; you can read it but not act on it.")
        )


@transaction.atomic
def decide(*, key_id: int, actor: User, approve: bool, note: str = "") -> KeySupervision:
    """A leader puts a proposed item on the key list, or declines it."""
    key = _lock(key_id)
    _require(actor, key, Role.LEADER)
    if key.status != KeyStatus.PROPOSED:
        raise WorkflowError(_("This item has already been decided."), code="decided")
    key.status = KeyStatus.APPROVED if approve else KeyStatus.DECLINED
    key.decided_by, key.decided_at, key.note = actor, timezone.now(), note.strip()
    if approve:
        key.follow_up_due_on = timezone.localdate() + FOLLOW_UP_EVERY
    key.save()
    return key


@transaction.atomic
def follow_up(*, key_id: int, actor: User, text: str) -> KeyFollowUp:
    key = _lock(key_id)
    _require(actor, key, Role.TASK_FORCE, Role.SUPERVISOR)
    if key.status != KeyStatus.APPROVED:
        raise WorkflowError(_("Only items on the key list are followed up."), code="not_key")
    text = (text or "").strip()
    if not text:
        raise WorkflowError(_("Describe the follow-up."), code="required")
    entry = KeyFollowUp.objects.create(key=key, author=actor, text=text)
    key.follow_up_due_on = timezone.localdate() + FOLLOW_UP_EVERY
    key.save(update_fields=["follow_up_due_on"])
    return entry


def close_settled(on: date) -> int:
    """Close out key items whose petition is no longer open (a daily job; set-based, safe to rerun)."""
    return (
        KeySupervision.objects.filter(status=KeyStatus.APPROVED)
        .exclude(petition__state__in=OPEN_STATES)
        .update(status=KeyStatus.CLOSED, closed_at=timezone.now(), follow_up_due_on=None)
    )
