"""Form fields shared by the staff workbench and the meetings pages: units and leaders by name."""

from __future__ import annotations

from django import forms

from petitions.models import OrgUnit, User


def textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return obj.name


class UnitsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: OrgUnit) -> str:
        return obj.name


class LeaderChoiceField(forms.ModelChoiceField):
    """A leader as 姓名（单位）, so two leaders of the same name can be told apart."""

    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name}（{obj.unit.name}）" if obj.unit_id else name
