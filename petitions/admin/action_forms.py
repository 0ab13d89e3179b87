"""The input a lifecycle action collects on its intermediate page. Forms check shape; the workflow
checks the rules (docs/conventions.md C6). Choices are scoped to the acting user.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from petitions.admin.scoping import jurisdiction_ids, visible_petitions
from petitions.models import (
    OrgUnit,
    Petition,
    RejectReason,
    Role,
    User,
)

# --- who may be chosen ----------------------------------------------------------------------------


def handling_units_for(user: User) -> QuerySet[OrgUnit]:
    """Active departments and lower governments in the user's jurisdictions."""
    units = OrgUnit.objects.handling_units().filter(is_active=True)
    ids = jurisdiction_ids(user)
    if ids is None:
        return units
    return units.filter(Q(pk__in=ids) | Q(parent_id__in=ids))


def leaders_for(user: User) -> QuerySet[User]:
    """Active leaders whose unit sits in, above or below the user's jurisdiction."""
    leaders = User.objects.filter(role=Role.LEADER, is_active=True, unit__isnull=False)
    ids = jurisdiction_ids(user)
    if ids is None:
        return leaders.select_related("unit")
    if ids:
        top = user.unit.jurisdiction()
        ids = [*ids, *(unit.pk for unit in top.ancestors())]
    return leaders.filter(Q(unit_id__in=ids) | Q(unit__parent_id__in=ids)).select_related("unit")


# --- the input each action needs ------------------------------------------------------------------


class WorkflowInputForm(forms.Form):
    """Input for a lifecycle action; querysets are scoped to the acting user.

    Field names avoid `action`, `index`, `select_across` and `_selected_action`, which the
    changelist's own action form uses.
    """

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)


def _note(*, required: bool = False, label: str | None = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Note"),
        required=required,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class NoteForm(WorkflowInputForm):
    note = _note()


class RequiredNoteForm(WorkflowInputForm):
    note = _note(required=True)


class RejectForm(WorkflowInputForm):
    reason = forms.ChoiceField(label=_("Reason not accepted"), choices=RejectReason.choices)
    explanation = _note(required=True, label=_("Explanation to the enterprise"))


class DuplicateForm(WorkflowInputForm):
    original_number = forms.CharField(
        label=_("Number of the original petition"),
        max_length=20,
        help_text=_("E.g. ZQ2026-000123."),
    )
    note = _note()

    def clean_original_number(self) -> Petition:
        number = self.cleaned_data["original_number"].strip().upper()
        original = visible_petitions(self.user).filter(number=number).first()
        if original is None:
            raise ValidationError(
                _("No petition numbered %(number)s was found."),
                code="not_found",
                params={"number": number},
            )
        return original


class UnitForm(WorkflowInputForm):
    """A lead unit and co-handling units, to propose or to reassign after a return."""

    unit = forms.ModelChoiceField(label=_("Lead unit"), queryset=OrgUnit.objects.none())
    co_units = forms.ModelMultipleChoiceField(
        label=_("Co-handling units"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=FilteredSelectMultiple(_("co-handling units"), is_stacked=False),
    )
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = handling_units_for(self.user)
        self.fields["unit"].queryset = units
        self.fields["co_units"].queryset = units


class LeaderForm(WorkflowInputForm):
    leader = forms.ModelChoiceField(label=_("Leader"), queryset=User.objects.none())
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders_for(self.user)


class InstructionForm(WorkflowInputForm):
    instruction = _note(label=_("Instruction"))


class RequiredInstructionForm(WorkflowInputForm):
    instruction = _note(required=True, label=_("Instruction"))
