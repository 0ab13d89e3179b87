"""Forms of the meeting pages (docs/conventions.md C6: they check shape; meetings/workflow.py checks the rules).

Querysets are passed in by the view, scoped to what the acting user may choose.
"""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from meetings.models import AgendaRule, MeetingKind, Outcome, OverallRating
from petitions.forms.fields import LeaderChoiceField, UnitChoiceField, UnitsField, textarea
from petitions.models import Enterprise, OrgUnit, User
from zqztc.dates import SaneDateField
from zqztc.forms import Form

phone_shape = RegexValidator(
    r"^[0-9\uff10-\uff19+()（）\- ]{5,30}$", _("Enter a phone number of digits, spaces or dashes.")
)


class LeadersField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: User) -> str:
        return LeaderChoiceField.label_from_instance(self, obj)


class FirmCheckboxes(forms.CheckboxSelectMultiple):
    """Each firm's checkbox carries its tag codes, so the page can filter by tag (Heyuan 三)."""

    def create_option(
        self,
        name: str,
        value: object,
        label: str,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict | None = None,
    ) -> dict:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        firm = getattr(value, "instance", None)
        if firm is not None:
            option["attrs"]["data-tags"] = " ".join(t.code for t in firm.tags.all())
        return option


class FirmsField(forms.ModelMultipleChoiceField):
    widget = FirmCheckboxes

    def label_from_instance(self, obj: Enterprise) -> str:
        names = "、".join(t.name for t in obj.tags.all())
        return f"{obj.name}（{names}）" if names else obj.name


class PlanForm(Form):
    jurisdiction = UnitChoiceField(label=_("Jurisdiction"), queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    date = SaneDateField(
        label=_("Meeting date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    chair = LeaderChoiceField(label=_("Chair"), queryset=User.objects.none())
    leaders = LeadersField(
        label=_("Attending leaders"), queryset=User.objects.none(), required=False
    )
    departments = UnitsField(
        label=_("Departments involved"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("The “N” of the 7+N task force: the departments that attend."),
    )
    firms = FirmsField(
        label=_("Invited enterprises"), queryset=Enterprise.objects.none(), required=False
    )

    def __init__(
        self,
        *args: object,
        jurisdictions: QuerySet[OrgUnit],
        leaders: QuerySet[User],
        units: QuerySet[OrgUnit],
        firms: QuerySet[Enterprise],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = jurisdictions
        self.fields["chair"].queryset = leaders
        self.fields["leaders"].queryset = leaders
        self.fields["departments"].queryset = units
        self.fields["firms"].queryset = firms


class TopicForm(Form):
    """A topic entered by staff for a department's channel (Heyuan 四(一))."""

    channel_unit = UnitChoiceField(
        label=_("Collected by department"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("The department whose channel brought the problem in."),
    )
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Enterprise.objects.none(), required=False
    )
    person_in_charge = forms.CharField(label=_("Person in charge"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, validators=[phone_shape]
    )
    problem = forms.CharField(label=_("Problem"), widget=textarea(4))
    suggestion = forms.CharField(label=_("Suggestion"), widget=textarea(3), required=False)
    remarks = forms.CharField(
        label=_("Remarks"),
        widget=textarea(2),
        required=False,
        help_text=_("Earlier reports of the problem and their preliminary result."),
    )

    def __init__(
        self,
        *args: object,
        units: QuerySet[OrgUnit],
        firms: QuerySet[Enterprise],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel_unit"].queryset = units
        self.fields["enterprise"].queryset = firms


class FirmTopicForm(Form):
    """议题表 (Uxin 附件1) from the portal; the enterprise and the date come from the account."""

    person_in_charge = forms.CharField(label=_("Person in charge"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=30, validators=[phone_shape])
    problem = forms.CharField(label=_("Problem"), widget=textarea(5))
    suggestion = forms.CharField(label=_("Suggestion"), widget=textarea(3), required=False)
    remarks = forms.CharField(
        label=_("Remarks"),
        widget=textarea(2),
        required=False,
        help_text=_("Earlier reports of the problem and their preliminary result."),
    )


class TakeTopicForm(Form):
    topic = forms.IntegerField(widget=forms.HiddenInput)


class TakePetitionForm(Form):
    petition = forms.IntegerField(widget=forms.HiddenInput)
    rule = forms.ChoiceField(choices=AgendaRule.choices, widget=forms.HiddenInput)


KEEP, DROP = "keep", "drop"


class VerifyForm(Form):
    """Verify with the departments and draft the handling opinion, or drop (Heyuan 四(二))."""

    decision = forms.ChoiceField(
        label=_("Keep or drop"),
        choices=[(KEEP, _("Keep it for the catalogue")), (DROP, _("Drop it"))],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("What the departments said"),
        widget=textarea(3),
        error_messages={"required": _("Record what the departments said.")},
    )
    opinion = forms.CharField(
        label=_("Proposed handling opinion"), widget=textarea(3), required=False
    )
    lead_unit = UnitChoiceField(
        label=_("Lead unit"), queryset=OrgUnit.objects.none(), required=False
    )
    co_units = UnitsField(
        label=_("Co-handling units"), queryset=OrgUnit.objects.none(), required=False
    )

    def __init__(self, *args: object, units: QuerySet[OrgUnit], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units
        self.fields["co_units"].queryset = units

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == KEEP:
            if not (data.get("opinion") or "").strip():
                self.add_error("opinion", _("Draft the proposed handling opinion."))
            if not data.get("lead_unit"):
                self.add_error("lead_unit", _("Choose the lead unit."))
        return data


class NoteForm(Form):
    note = forms.CharField(label=_("Note"), widget=textarea(3))

    def __init__(self, *args: object, label: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["note"].label = label


class SendUpForm(Form):
    """Send a topic this level cannot settle up to the parent level's meeting (Uxin 二(三))."""

    reason = forms.CharField(
        label=_("Why this level cannot settle it"),
        widget=textarea(3),
        max_length=1000,
        help_text=_(
            "The higher level's task force reads this; when the topic's petition goes up with it, "
            "the enterprise reads it too."
        ),
    )


class DecisionForm(Form):
    """The leader's decision on one catalogue item, recorded on the day.

    The units come as a list evaluated once for the whole page, so that one form per catalogue
    row costs no query (a model choice field would query for every row).
    """

    decision = forms.CharField(
        label=_("Leader's decision"),
        widget=textarea(2),
        error_messages={"required": _("Record the leader's decision.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Outcome.SETTLED, Outcome.SETTLED.label),
            (Outcome.ASSIGNED, Outcome.ASSIGNED.label),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose whether it was settled or assigned.")},
    )
    lead_unit = forms.TypedChoiceField(label=_("Lead unit"), coerce=int, required=False)
    co_units = forms.TypedMultipleChoiceField(
        label=_("Co-handling units"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: object, units: list[OrgUnit], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.units = {u.pk: u for u in units}
        choices = [(u.pk, u.name) for u in units]
        self.fields["lead_unit"].choices = [("", _("As on the catalogue")), *choices]
        self.fields["co_units"].choices = choices

    def clean_lead_unit(self) -> OrgUnit | None:
        pk = self.cleaned_data.get("lead_unit")
        return self.units.get(pk) if pk not in (None, "") else None

    def clean_co_units(self) -> list[OrgUnit]:
        return [self.units[pk] for pk in self.cleaned_data.get("co_units") or []]


class EvaluationForm(Form):
    """总体评价表 (Uxin 附件3)."""

    person_in_charge = forms.CharField(label=_("Person in charge"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=30, validators=[phone_shape])
    rating = forms.ChoiceField(
        label=_("Overall evaluation"),
        choices=OverallRating.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose an overall evaluation.")},
    )
    suggestions = forms.CharField(label=_("Other suggestions"), widget=textarea(4), required=False)
