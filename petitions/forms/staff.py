"""Forms of the task force's workbench and the leaders' approval page (docs/conventions.md C6: shape only).

The workflow functions check the rules; these forms check that what was typed has the right shape
and hand `cleaned_data` on as keyword arguments.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions import uploads
from petitions.forms.fields import LeaderChoiceField, UnitChoiceField, UnitsField, textarea
from petitions.forms.routing import set_unit_choices
from petitions.models import (
    AgeClass,
    Channel,
    ContactMethod,
    DemandClass,
    Enterprise,
    NatureClass,
    OrgUnit,
    Petition,
    PetitionType,
    Rating,
    RejectReason,
    ScopeClass,
    State,
    Theme,
    Tier,
    User,
)
from zqztc.dates import PastDateTimeField, SaneDateFilter
from zqztc.forms import Form

CLASSIFICATION_FIELDS = ("scope_class", "demand_class", "nature_class", "age_class")
# The task force registers what reached it by other channels; firms use the portal themselves.
STAFF_CHANNELS = [(value, label) for value, label in Channel.choices if value != Channel.PORTAL]
IMPORT_MAX_SIZE = 5 * 1024 * 1024
XLSX = uploads.OOXML["xl/"]


def _blank(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "---------"), *choices]


class OwnIds:
    """Several forms share a page: give each its own element ids (the field names stay plain)."""

    id_prefix = "id"

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


# --- intake -------------------------------------------------------------------------------------


class AcceptForm(OwnIds, Form):
    id_prefix = "accept"
    type = forms.ChoiceField(label=_("Type"), choices=PetitionType.choices)
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.filter(is_active=True))
    scope_class = forms.ChoiceField(
        label=_("Overall or departmental"), choices=_blank(ScopeClass.choices), required=False
    )
    demand_class = forms.ChoiceField(
        label=_("Common or individual"), choices=_blank(DemandClass.choices), required=False
    )
    nature_class = forms.ChoiceField(
        label=_("Policy or procedure"), choices=_blank(NatureClass.choices), required=False
    )
    age_class = forms.ChoiceField(
        label=_("Existing or new"), choices=_blank(AgeClass.choices), required=False
    )
    tier = forms.ChoiceField(label=_("Handling tier"), choices=Tier.choices)
    note = forms.CharField(label=_("Internal note"), widget=textarea(2), required=False)

    def classification(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name]
            for name in CLASSIFICATION_FIELDS
            if self.cleaned_data[name]
        }


class RejectForm(OwnIds, Form):
    id_prefix = "reject"
    reason = forms.ChoiceField(label=_("Reason"), choices=_blank(RejectReason.choices))
    explanation = forms.CharField(
        label=_("Explanation to the enterprise"),
        widget=textarea(4),
        help_text=_("The enterprise reads this."),
    )


class DuplicateForm(OwnIds, Form):
    id_prefix = "duplicate"
    original = forms.CharField(
        label=_("Number of the original petition"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "ZQ2026-000123", "autocomplete": "off"}),
    )
    note = forms.CharField(label=_("Note to the enterprise"), widget=textarea(2), required=False)

    def __init__(self, *args: object, petitions: QuerySet[Petition], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.petitions = petitions

    def clean_original(self) -> Petition:
        number = self.cleaned_data["original"].strip().upper()
        original = self.petitions.filter(number=number).first()
        if original is None:
            raise forms.ValidationError(_("No petition with this number in your jurisdiction."))
        return original


class RegisterForm(Form):
    """A petition that reached the task force by phone, visit, meeting or a 12345 transfer."""

    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"),
        queryset=Enterprise.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose the enterprise.")},
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(STAFF_CHANNELS))
    channel_ref = forms.CharField(
        label=_("Reference"),
        max_length=50,
        required=False,
        help_text=_("The 12345 ticket number, if any."),
    )
    received_at = PastDateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        error_messages={"future": _("The time received cannot be in the future.")},
    )
    type = forms.ChoiceField(label=_("Type"), choices=_blank(PetitionType.choices))
    theme = forms.ModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.filter(is_active=True), required=False
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    content = forms.CharField(label=_("Content"), widget=textarea(6))
    request = forms.CharField(
        label=_("What the enterprise asks for"), widget=textarea(3), required=False
    )

    def __init__(self, *args: object, enterprises: QuerySet[Enterprise], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises

    def clean(self) -> dict:
        data = super().clean()
        if data.get("channel") == Channel.HOTLINE_12345 and not data.get("channel_ref"):
            self.add_error("channel_ref", _("Enter the 12345 ticket number."))
        return data


# --- assignment -----------------------------------------------------------------------------------


class ProposeForm(Form):
    """Lead from the jurisdiction's own level, co-handlers also one level down, each grouped by where
    it sits (docs/rules.md §1); the workflow checks the same sets (petitions/levels.py)."""

    unit = UnitChoiceField(
        label=_("Lead unit"),
        queryset=OrgUnit.objects.none(),
        error_messages={
            "invalid_choice": _("This unit cannot lead a petition of this jurisdiction.")
        },
    )
    co_units = UnitsField(
        label=_("Co-handling units"),
        queryset=OrgUnit.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _("One of these units cannot co-handle a petition here."),
            "invalid_pk_value": _("One of these units cannot co-handle a petition here."),
        },
    )
    note = forms.CharField(label=_("Note to the unit"), widget=textarea(2), required=False)

    def __init__(self, *args: object, jurisdiction: OrgUnit, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        set_unit_choices(self.fields["unit"], self.fields["co_units"], jurisdiction)


class ReviewReturnForm(ProposeForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("uphold", _("Uphold the return and reassign")),
            ("overrule", _("Reject the return: the unit keeps the case")),
        ],
        widget=forms.RadioSelect,
    )
    field_order = ["decision", "unit", "co_units", "note"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].required = False
        self.fields["unit"].label = _("New lead unit")
        self.fields["note"].label = _("Note")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == "uphold" and not data.get("unit"):
            self.add_error("unit", _("Choose the unit to reassign to."))
        return data


class SubmitApprovalForm(OwnIds, Form):
    id_prefix = "approval"
    leader = LeaderChoiceField(label=_("Leader"), queryset=User.objects.none())
    note = forms.CharField(label=_("Why a leader is needed"), widget=textarea(3), required=False)

    def __init__(self, *args: object, leaders: QuerySet[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders


class ApprovalForm(Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("send_back", _("Send back"))],
        widget=forms.HiddenInput,
    )
    instruction = forms.CharField(
        label=_("Instruction"),
        widget=textarea(4),
        required=False,
        help_text=_("Required when sending back."),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == "send_back" and not data.get("instruction", "").strip():
            self.add_error("instruction", _("Write the instruction for the task force."))
        return data


class ExtensionDecisionForm(Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("deny", _("Deny"))], widget=forms.HiddenInput
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


# --- revisit ------------------------------------------------------------------------------------


class RevisitForm(Form):
    method = forms.ChoiceField(
        label=_("How the revisit was made"), choices=_blank(ContactMethod.choices)
    )
    rating = forms.ChoiceField(
        label=_("The enterprise's rating"), choices=Rating.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("What the enterprise said"),
        widget=textarea(3),
        required=False,
        help_text=_("Required when the enterprise is unsatisfied."),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("rating") == Rating.UNSATISFIED and not data.get("comment", "").strip():
            self.add_error("comment", _("Tell us what is still unresolved."))
        return data


class ConcludeForm(OwnIds, Form):
    id_prefix = "conclude"
    note = forms.CharField(
        label=_("Why it is concluded without a rating"),
        widget=textarea(2),
        help_text=_("E.g. the enterprise could not be reached after repeated attempts."),
    )


# --- imports ------------------------------------------------------------------------------------


class ImportForm(Form):
    kind = forms.ChoiceField(
        label=_("What the workbook contains"),
        choices=[
            ("enterprises", _("Enterprise registry")),
            ("tickets", _("12345 tickets")),
        ],
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_SIZE:
            raise forms.ValidationError(_("The workbook is larger than 5 MB."))
        if uploads.sniff(upload) != XLSX:
            raise forms.ValidationError(_("This is not an Excel workbook (.xlsx)."))
        return upload


# --- search -------------------------------------------------------------------------------------


def _day_start(day: object) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class PetitionFilter(django_filters.FilterSet):
    """Search across the petitions of the user's jurisdiction (the queryset is already `visible_to`)."""

    number = django_filters.CharFilter(label=_("Number"), lookup_expr="icontains")
    firm = django_filters.CharFilter(label=_("Enterprise name or code"), method="filter_firm")
    text = django_filters.CharFilter(label=_("Text"), method="filter_text")
    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices)
    unit = django_filters.ModelChoiceFilter(
        label=_("Unit"), queryset=OrgUnit.objects.none(), method="filter_unit"
    )
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    type = django_filters.ChoiceFilter(label=_("Type"), choices=PetitionType.choices)
    theme = django_filters.ModelChoiceFilter(label=_("Theme"), queryset=Theme.objects.all())
    received_from = SaneDateFilter(
        label=_("Received from"),
        method="filter_received_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = SaneDateFilter(
        label=_("Received until"),
        method="filter_received_to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Petition
        fields: list[str] = []
        form = Form

    def __init__(self, *args: object, units: QuerySet[OrgUnit], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.filters["unit"].queryset = units

    def filter_firm(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(
            Q(enterprise__name__icontains=value) | Q(enterprise__uscc__iexact=value)
        )

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(
            Q(title__icontains=value) | Q(content__icontains=value) | Q(request__icontains=value)
        )

    def filter_unit(self, queryset: QuerySet, name: str, value: OrgUnit) -> QuerySet:
        return queryset.handled_by(value)

    def filter_received_from(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        return queryset.filter(received_at__gte=_day_start(value))

    def filter_received_to(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        return queryset.filter(received_at__lt=_day_start(value) + timedelta(days=1))
