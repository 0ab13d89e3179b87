"""The task force hands a pending approval to another leader (docs/conventions.md C6: shape only)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from petitions.forms.fields import LeaderChoiceField
from petitions.models import User
from zqztc.forms import Form


class ReassignApprovalForm(Form):
    leader = LeaderChoiceField(label=_("New leader"), queryset=User.objects.none())
    note = forms.CharField(
        label=_("Why another leader"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Recorded on the timeline and sent to the new leader."),
    )

    def __init__(self, *args: object, leaders: QuerySet[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders
