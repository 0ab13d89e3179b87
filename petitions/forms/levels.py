"""Passing a case up to the parent level or down to a lower one (docs/rules.md §1)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from petitions.forms.fields import UnitChoiceField, textarea
from petitions.models import OrgUnit
from zqztc.forms import Form


class PassUpForm(Form):
    reason = forms.CharField(
        label=_("Why this level cannot settle it"),
        widget=textarea(2),
        max_length=1000,
        help_text=_("The enterprise reads this reason."),
    )


class HandDownForm(Form):
    to = UnitChoiceField(label=_("District or zone"), queryset=OrgUnit.objects.none())
    reason = forms.CharField(
        label=_("Why it belongs there"),
        widget=textarea(2),
        max_length=1000,
        help_text=_("The enterprise reads this reason."),
    )

    def __init__(self, *args: object, targets: QuerySet[OrgUnit], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = targets
