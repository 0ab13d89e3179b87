"""Who hears what, by which channels (docs/notices.md has the same table for readers).

Each kind names its audience, its default channels, whether the recipient may turn it off (the
notices the firm or an official must get, e.g. a rejection or an approval waiting, cannot be), and
its SMS text: Chinese, at most 70 characters where the variable part allows, always with the
petition number (docs/rules.md §10).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from notices.models import Channel

ALL = (Channel.INAPP, Channel.EMAIL, Channel.SMS)
STAFF = (Channel.INAPP, Channel.EMAIL)
URGENT_STAFF = ALL


@dataclass(frozen=True)
class Kind:
    code: str
    audience: str  # firm, unit, leader, task_force, person
    label: object
    channels: tuple[str, ...]
    mandatory: bool
    sms: object  # a lazy gettext string formatted with the notice's context
    # Carries a code: its text is erased from the delivery row once the row is settled.
    secret: bool = False


KINDS: dict[str, Kind] = {}


def _kind(
    code: str, audience: str, label: object, channels, sms: object, mandatory=False, secret=False
) -> None:
    KINDS[code] = Kind(code, audience, label, tuple(channels), mandatory, sms, secret)


# --- firms: each step of their petition (docs/rules.md §10) -------------------------------------
_kind(
    "firm.receipt",
    "firm",
    _("Petition received"),
    ALL,
    _("Your petition %(number)s was received; you will be told whether it is accepted."),
    mandatory=True,
)
_kind(
    "firm.accepted",
    "firm",
    _("Petition accepted"),
    ALL,
    _("Your petition %(number)s was accepted and is being assigned to a unit."),
)
_kind(
    "firm.rejected",
    "firm",
    _("Petition not accepted"),
    ALL,
    _("Your petition %(number)s was not accepted: %(note)s"),
    mandatory=True,
)
_kind(
    "firm.merged",
    "firm",
    _("Petition merged"),
    ALL,
    _("Your petition %(number)s was merged into an earlier one: %(note)s"),
)
_kind(
    "firm.moved",
    "firm",
    _("Petition moved to another level"),
    ALL,
    _("Your petition %(number)s: %(note)s"),
)
_kind(
    "firm.reassigned",
    "firm",
    _("Petition goes to another unit"),
    ALL,
    _("Your petition %(number)s: %(note)s"),
)
_kind(
    "firm.assigned",
    "firm",
    _("Petition assigned"),
    ALL,
    _("Your petition %(number)s is handled by %(unit)s, reply due by %(due)s."),
)
_kind(
    "firm.contacted",
    "firm",
    _("Handling unit's contact recorded"),
    ALL,
    _("%(unit)s recorded its contact with you about petition %(number)s."),
)
_kind(
    "firm.progress",
    "firm",
    _("Progress reported"),
    (Channel.INAPP,),
    _("Progress on your petition %(number)s was reported."),
)
_kind(
    "firm.extension",
    "firm",
    _("Reply limit extended"),
    ALL,
    _("The reply to your petition %(number)s is now due by %(due)s."),
)
_kind(
    "firm.replied",
    "firm",
    _("Reply given"),
    ALL,
    _("Petition %(number)s has a reply; please read it and rate it on the portal."),
    mandatory=True,
)
_kind(
    "firm.rehandle",
    "firm",
    _("Sent back for re-handling"),
    ALL,
    _("Your petition %(number)s is handled again; reply due by %(due)s."),
)
_kind(
    "firm.concluded",
    "firm",
    _("Petition concluded"),
    ALL,
    _("Your petition %(number)s is concluded. Thank you."),
    mandatory=True,
)
_kind(
    "firm.meeting_invitation",
    "firm",
    _("Meeting invitation"),
    ALL,
    _("You are invited to %(title)s on %(date)s; please confirm on the portal."),
)
_kind(
    "firm.verified",
    "firm",
    _("Enterprise verified"),
    ALL,
    _("%(name)s is verified; you can now submit petitions."),
)
_kind(
    "firm.verification_refused",
    "firm",
    _("Verification refused"),
    ALL,
    _("%(name)s could not be verified: %(note)s"),
    mandatory=True,
)
_kind(
    "firm.invitation",
    "firm",
    _("Invitation to the portal"),
    (Channel.EMAIL, Channel.SMS),
    _("%(name)s is invited to the enterprise portal; activation code %(code)s."),
    mandatory=True,
    secret=True,
)
_kind(
    "account.code",
    "person",
    _("Verification code"),
    (Channel.SMS,),
    _("Your verification code is %(code)s, valid for %(minutes)s minutes."),
    mandatory=True,
    secret=True,
)
_kind(
    "account.contact_changed",
    "person",
    _("E-mail address or mobile number changed"),
    (Channel.EMAIL, Channel.SMS),
    # Sent to the old address: a hijacked session that moves the recovery channels is noticed.
    _("Your ZQZTC %(what)s changed on %(date)s. Not you? Call the task force."),
    mandatory=True,
)

# --- handling units ---------------------------------------------------------------------------
_kind(
    "unit.proposal",
    "unit",
    _("New petition proposed to your unit"),
    URGENT_STAFF,
    _("Petition %(number)s is proposed to your unit; confirm or return it by %(due)s."),
    mandatory=True,
)
_kind(
    "unit.overruled",
    "unit",
    _("Return overruled"),
    STAFF,
    _("Your return of petition %(number)s was overruled; your unit keeps it."),
)
_kind(
    "unit.assigned",
    "unit",
    _("Transfer letter issued"),
    STAFF,
    _("Petition %(number)s is assigned to your unit; reply due by %(due)s."),
)
_kind(
    "unit.extension_decided",
    "unit",
    _("Extension decided"),
    STAFF,
    _("The extension for petition %(number)s was decided: %(note)s"),
)
_kind(
    "unit.rehandle",
    "unit",
    _("Petition to handle again"),
    URGENT_STAFF,
    _("The enterprise is not satisfied with petition %(number)s; reply again by %(due)s."),
)
_kind(
    "unit.due",
    "unit",
    _("Daily digest: due and overdue"),
    URGENT_STAFF,
    _("%(date)s: %(overdue)s overdue, %(today)s due today, %(tomorrow)s due next."),
)
_kind(
    "unit.progress_due",
    "unit",
    _("Weekly progress reports due"),
    STAFF,
    _("Progress reports due on %(date)s for %(n)s petitions."),
)

# --- leaders and the task force ----------------------------------------------------------------
_kind(
    "leader.approval",
    "leader",
    _("Approval waiting"),
    URGENT_STAFF,
    _("Petition %(number)s waits for your approval."),
    mandatory=True,
)
_kind(
    "tf.return",
    "task_force",
    _("Petition returned by a unit"),
    STAFF,
    _("Petition %(number)s was returned by %(unit)s; please review it."),
)
_kind(
    "tf.arrived",
    "task_force",
    _("Petition arrived from another level"),
    STAFF,
    _("Petition %(number)s arrived from another level; please triage it."),
    mandatory=True,
)
_kind(
    "tf.topic_arrived",
    "task_force",
    _("Topic sent up by a lower level"),
    STAFF,
    _("%(level)s sent up a topic for your next meeting: %(problem)s"),
)
_kind(
    "tf.extension_request",
    "task_force",
    _("Extension requested"),
    STAFF,
    _("%(unit)s asks to extend petition %(number)s; please decide."),
)
_kind(
    "tf.unsatisfied",
    "task_force",
    _("Enterprise not satisfied"),
    STAFF,
    _("The enterprise rated petition %(number)s not satisfied; it is handled again."),
)
_kind(
    "tf.due",
    "task_force",
    _("Daily digest: due and overdue"),
    STAFF,
    _("%(date)s: %(overdue)s overdue, %(today)s due today, %(tomorrow)s due next."),
)

# A petition event → the kinds it sets off (petition event actions: petitions/events.py).
ON_EVENT: dict[str, tuple[str, ...]] = {
    "register": ("firm.receipt",),
    "accept": ("firm.accepted",),
    "reject": ("firm.rejected",),
    "mark_duplicate": ("firm.merged",),
    "pass_up": ("firm.moved", "tf.arrived"),
    "hand_down": ("firm.moved", "tf.arrived"),
    "propose": ("unit.proposal",),
    "uphold_return": ("unit.proposal", "firm.reassigned"),
    "overrule_return": ("unit.overruled",),
    "return": ("tf.return",),
    "submit_for_approval": ("leader.approval",),
    "reassign_approval": ("leader.approval",),
    "issue_transfer_letter": ("firm.assigned", "unit.assigned"),
    "assign_by_decision": ("firm.assigned", "unit.assigned"),
    "record_contact": ("firm.contacted",),
    "report_progress": ("firm.progress",),
    "request_extension": ("tf.extension_request",),
    "approve_extension": ("firm.extension", "unit.extension_decided"),
    "deny_extension": ("unit.extension_decided",),
    "reply": ("firm.replied",),
    "rehandle": ("firm.rehandle", "tf.unsatisfied", "unit.rehandle"),
    "conclude": ("firm.concluded",),
}


def kinds_for(audience: str) -> list[Kind]:
    return [kind for kind in KINDS.values() if kind.audience == audience]
