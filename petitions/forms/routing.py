"""Units grouped by where they sit (docs/rules.md §1), for the assignment form and the routing
catalogue (docs/rules.md §10): a <select> with <optgroup>s for the lead, checkbox lists under a
heading per group for the co-handlers. Option values stay the units' ids."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from petitions import levels
from petitions.forms.fields import UnitChoiceField, UnitsField, textarea
from petitions.models import OrgUnit, UnitKind
from zqztc.forms import Form

Choices = list[tuple[object, object]]


def _rank(unit: OrgUnit, jurisdiction: OrgUnit) -> tuple:
    """Own departments, stationed units, governments below, then each lower level's departments."""
    if unit.parent_id != jurisdiction.pk:
        parent = unit.parent
        return (3, parent.kind if parent else "", parent.name if parent else "", unit.name)
    if unit.kind in (UnitKind.DISTRICT, UnitKind.ZONE):
        return (2, unit.kind, "", unit.name)
    return (1 if unit.is_stationed else 0, "", "", unit.name)


def grouped_choices(units: QuerySet[OrgUnit], jurisdiction: OrgUnit) -> Choices:
    """[(group label, [(pk, name), …]), …] in the order of docs/rules.md §1; one query."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for unit in sorted(units.select_related("parent"), key=lambda u: _rank(u, jurisdiction)):
        groups.setdefault(levels.group_label(unit, jurisdiction), []).append((unit.pk, unit.name))
    return list(groups.items())


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes in one fieldset per group, the group's name as its legend (read out by screen
    readers, unlike Django's default bare <label>)."""

    template_name = "petitions/staff/_grouped_checkboxes.html"


def set_unit_choices(
    lead: forms.ModelChoiceField,
    co: forms.ModelMultipleChoiceField,
    jurisdiction: OrgUnit,
) -> None:
    """Offer who may lead and who may co-handle a case of this jurisdiction, grouped. The querysets
    still validate what is posted: a unit of another jurisdiction is not a valid choice."""
    lead.queryset = levels.lead_units(jurisdiction)
    co.queryset = levels.co_units(jurisdiction)
    lead.choices = [("", "---------"), *grouped_choices(lead.queryset, jurisdiction)]
    co.widget = GroupedCheckboxes(attrs=co.widget.attrs)
    co.choices = grouped_choices(co.queryset, jurisdiction)  # also the widget's


class RoutingRuleForm(Form):
    """The rule of one theme: its default lead, co-handlers and a note for the task force."""

    unit = UnitChoiceField(
        label=_("Default lead unit"),
        queryset=OrgUnit.objects.none(),
        error_messages={
            "required": _("Choose the default lead unit."),
            "invalid_choice": _("This unit cannot lead a petition of this jurisdiction."),
        },
    )
    co_units = UnitsField(
        label=_("Default co-handling units"),
        queryset=OrgUnit.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("One of these units cannot co-handle a petition here."),
            "invalid_pk_value": _("One of these units cannot co-handle a petition here."),
        },
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        widget=textarea(2),
        help_text=_("Why this unit, for the task force; shown with the proposal."),
    )

    def __init__(self, *args: object, jurisdiction: OrgUnit, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        set_unit_choices(self.fields["unit"], self.fields["co_units"], jurisdiction)

    def clean(self) -> dict:
        data = super().clean()
        unit = data.get("unit")
        if unit is not None and unit in data.get("co_units", ()):
            self.add_error("co_units", _("The lead unit cannot also be a co-handler."))
        return data
