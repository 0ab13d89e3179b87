"""The lifecycle actions of the admin: one workflow function each (docs/conventions.md C1)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from petitions import workflow
from petitions.admin.action_forms import (
    DuplicateForm,
    InstructionForm,
    LeaderForm,
    NoteForm,
    RejectForm,
    RequiredInstructionForm,
    RequiredNoteForm,
    UnitForm,
)
from petitions.admin.actions import Runner, record_label, workflow_action
from petitions.exceptions import WorkflowError
from petitions.models import (
    Extension,
    Petition,
    PetitionReturn,
    ReturnDecision,
    User,
)

# --- the actions: one workflow function each --------------------------------------------------------


def _review_return(uphold: bool, *, of_record: bool) -> Runner:
    """Review a return; from a return row, only one still pending (the workflow takes the latest)."""

    def run(obj: Petition | PetitionReturn, actor: User, data: dict[str, Any]) -> None:
        if of_record:
            if obj.decision != ReturnDecision.PENDING:
                raise WorkflowError(gettext("This return has already been reviewed."))
            petition_id = obj.petition_id
        else:
            petition_id = obj.pk
        workflow.review_return(
            petition_id=petition_id,
            actor=actor,
            uphold=uphold,
            unit=data.get("unit"),
            co_units=data.get("co_units", ()),
            note=data["note"],
        )

    return run


UPHOLD_RETURN = _("Uphold the return and reassign")
OVERRULE_RETURN = _("Overrule the return: the unit keeps the case")


def _petition_step(name: str) -> Runner:
    """A runner that calls `workflow.<name>(petition_id=..., actor=..., **input)`."""

    def run(petition: Petition, actor: User, data: dict[str, Any]) -> None:
        getattr(workflow, name)(petition_id=petition.pk, actor=actor, **data)

    return run


def _mark_duplicate(petition: Petition, actor: User, data: dict[str, Any]) -> None:
    workflow.mark_duplicate(
        petition_id=petition.pk,
        actor=actor,
        original_id=data["original_number"].pk,
        note=data["note"],
    )


PETITION_ACTIONS = [
    workflow_action("accept", _("Accept"), _petition_step("accept")),
    workflow_action(
        "reject", _("Do not accept (with reason)"), _petition_step("reject"), form_class=RejectForm
    ),
    workflow_action(
        "mark_duplicate", _("Mark as duplicate"), _mark_duplicate, form_class=DuplicateForm
    ),
    workflow_action(
        "propose", _("Propose a lead unit"), _petition_step("propose"), form_class=UnitForm
    ),
    workflow_action(
        "uphold_return",
        UPHOLD_RETURN,
        _review_return(True, of_record=False),
        form_class=UnitForm,
    ),
    workflow_action(
        "overrule_return",
        OVERRULE_RETURN,
        _review_return(False, of_record=False),
        form_class=NoteForm,
    ),
    workflow_action(
        "submit_for_approval",
        _("Submit for a leader's approval"),
        _petition_step("submit_for_approval"),
        form_class=LeaderForm,
    ),
    workflow_action(
        "approve", _("Approve (leader)"), _petition_step("approve"), form_class=InstructionForm
    ),
    workflow_action(
        "send_back",
        _("Send back (leader)"),
        _petition_step("send_back"),
        form_class=RequiredInstructionForm,
    ),
    workflow_action(
        "issue_transfer_letter",
        _("Issue the transfer letter"),
        _petition_step("issue_transfer_letter"),
    ),
    workflow_action(
        "conclude",
        _("Conclude without an evaluation"),
        _petition_step("conclude"),
        form_class=RequiredNoteForm,
    ),
    workflow_action("archive", _("Archive"), _petition_step("archive")),
]


def _decide_extension(approve: bool) -> Runner:
    def run(extension: Extension, actor: User, data: dict[str, Any]) -> None:
        workflow.decide_extension(
            extension_id=extension.pk, actor=actor, approve=approve, note=data["note"]
        )

    return run


EXTENSION_ACTIONS = [
    workflow_action(
        "approve_extension",
        _("Approve the extension"),
        _decide_extension(True),
        form_class=NoteForm,
        label=record_label,
    ),
    workflow_action(
        "deny_extension",
        _("Deny the extension"),
        _decide_extension(False),
        form_class=NoteForm,
        label=record_label,
    ),
]


RETURN_ACTIONS = [
    workflow_action(
        "uphold_return",
        UPHOLD_RETURN,
        _review_return(True, of_record=True),
        form_class=UnitForm,
        label=record_label,
    ),
    workflow_action(
        "overrule_return",
        OVERRULE_RETURN,
        _review_return(False, of_record=True),
        form_class=NoteForm,
        label=record_label,
    ),
]
