"""The petition timeline: one generic event row per business action (docs/conventions.md C2)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from petitions.models import Petition, PetitionEvent, User

ACTION_LABELS = {
    "register": _("Registered"),
    "withdraw": _("Withdrawn by the enterprise"),
    "accept": _("Accepted"),
    "reject": _("Not accepted"),
    "mark_duplicate": _("Merged into an earlier petition"),
    "duplicate_received": _("Duplicate received as supplementary material"),
    "escalate": _("Sent up to the higher level"),
    "pass_up": _("Passed up to the higher level"),
    "hand_down": _("Handed down to a lower level"),
    "propose": _("Proposed to a lead unit"),
    "confirm": _("Confirmed by the lead unit"),
    "return": _("Returned by the unit"),
    "uphold_return": _("Return upheld, reassigned"),
    "overrule_return": _("Return overruled, unit keeps the case"),
    "submit_for_approval": _("Submitted for a leader's approval"),
    "approve": _("Approved by the leader"),
    "send_back": _("Sent back by the leader"),
    "reassign_approval": _("Approval reassigned to another leader"),
    "issue_transfer_letter": _("Transfer letter issued"),
    "assign_by_decision": _("Assigned by a meeting decision"),
    "record_contact": _("Enterprise contacted"),
    "report_progress": _("Progress reported"),
    "request_extension": _("Extension requested"),
    "approve_extension": _("Extension approved"),
    "deny_extension": _("Extension denied"),
    "submit_opinion": _("Co-handler's opinion submitted"),
    "reply": _("Replied"),
    "evaluate": _("Evaluated"),
    "rehandle": _("Sent back for re-handling"),
    "conclude": _("Concluded"),
    "archive": _("Archived"),
    "recompute_deadline": _("Deadline recomputed on the confirmed calendar"),
    "attach": _("Document uploaded"),
}


def record(
    petition: Petition,
    actor: User | None,
    action: str,
    before: str,
    *,
    note: str = "",
    visible_to_firm: bool = False,
) -> PetitionEvent:
    return PetitionEvent.objects.create(
        petition=petition,
        actor=actor,
        action=action,
        from_state=before,
        to_state=petition.state,
        note=note,
        visible_to_firm=visible_to_firm,
    )


def label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
