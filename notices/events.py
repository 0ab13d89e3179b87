"""The notices a petition event sets off (notices/catalogue.py ON_EVENT), written in the event's
transaction (docs/notices.md)."""

from __future__ import annotations

from django.urls import reverse

from notices import outbox
from notices.catalogue import KINDS, ON_EVENT
from notices.outbox import Recipient
from petitions import levels
from petitions.models import OrgUnit, Petition, PetitionEvent, Role, User


def _unit_people(unit_id: int | None) -> list[Recipient]:
    if unit_id is None:
        return []
    people = User.objects.filter(is_active=True, role=Role.HANDLER, unit_id=unit_id)
    return [outbox.person(user) for user in people.order_by("pk")]


def task_force(jurisdiction: OrgUnit) -> list[Recipient]:
    """The task force that runs a jurisdiction: its own, or its parent's while it has none
    (docs/rules.md §1; the notice names the petition, so the parent sees whose case it is)."""
    people = User.objects.filter(
        is_active=True, role=Role.TASK_FORCE, unit__parent_id=levels.run_by(jurisdiction).pk
    )
    return [outbox.person(user) for user in people.order_by("pk")]


def _audience(code: str, petition: Petition) -> list[Recipient]:
    audience = KINDS[code].audience
    if audience == "firm":
        return outbox.firm(petition.enterprise)
    if audience == "unit":
        # A proposal goes to the unit asked to confirm; everything later to the lead unit.
        if code == "unit.proposal":
            return _unit_people(petition.proposed_unit_id)
        return _unit_people(petition.lead_unit_id or petition.proposed_unit_id)
    if audience == "leader":
        leader = petition.approval_leader
        return [outbox.person(leader)] if leader is not None and leader.is_active else []
    return task_force(petition.jurisdiction)


def _link(code: str, petition: Petition) -> str:
    audience = KINDS[code].audience
    if audience == "firm":
        return reverse("portal:petition", args=[petition.pk])
    if audience == "leader":
        return reverse("staff:approval", args=[petition.pk])
    if audience == "unit":
        return reverse("handler:petition", args=[petition.pk])
    return reverse("staff:petition", args=[petition.pk])


def _context(event: PetitionEvent, petition: Petition) -> dict:
    actor_unit = getattr(getattr(event.actor, "unit", None), "name", "")
    unit = petition.lead_unit or petition.proposed_unit
    return {
        "number": petition.number,
        "title": petition.title,
        "note": outbox.clip(event.note),
        "full_note": event.note,
        "unit": actor_unit
        if event.action in ("return", "request_extension")
        else (unit.name if unit else ""),
        "due": f"{petition.due_on:%Y-%m-%d}" if petition.due_on else "",
        "state": petition.get_state_display(),
        "enterprise": petition.enterprise.name,
    }


def on_event(event: PetitionEvent) -> None:
    """Write the notices of one event; most events tell nobody."""
    codes = ON_EVENT.get(event.action, ())
    if not codes:
        return
    petition = event.petition
    context = _context(event, petition)
    for code in codes:
        outbox.tell(
            code,
            _audience(code, petition),
            source=f"event:{event.pk}",
            context=context,
            petition=petition,
            event=event,
            link=_link(code, petition),
        )
