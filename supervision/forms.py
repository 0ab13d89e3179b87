"""Filters and forms of the supervision pages (docs/conventions.md C6: shape only; the workflow checks the rules)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.models import OrgUnit, Petition, PetitionType, Theme
from supervision import selectors
from supervision.models import SweepItem
from zqztc.dates import SaneDateField, SaneDateFilter
from zqztc.forms import Form

MAX_MONTHS = 36


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return obj.name


class UnitFilter(django_filters.ModelChoiceFilter):
    field_class = UnitChoiceField


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LedgerFilter(django_filters.FilterSet):
    """Filters of the ledger; the queryset is already `visible_to` and annotated by selectors.ledger."""

    unit = UnitFilter(
        label=_("Lead unit"),
        field_name="lead_unit",
        queryset=OrgUnit.objects.none(),
        empty_label=_("All units"),
    )
    closeout = django_filters.ChoiceFilter(
        label=_("Close-out"),
        choices=selectors.Closeout.choices,
        method="filter_closeout",
        empty_label=_("All"),
    )
    progress = django_filters.ChoiceFilter(
        label=_("Progress this week"),
        choices=[("missing", _("No report yet this week"))],
        method="filter_progress",
        empty_label=_("All"),
    )
    issued_from = SaneDateFilter(
        label=_("Letter issued from"), method="filter_issued_from", widget=_date_widget()
    )
    issued_to = SaneDateFilter(
        label=_("Letter issued until"), method="filter_issued_to", widget=_date_widget()
    )
    type = django_filters.ChoiceFilter(
        label=_("Type"), choices=PetitionType.choices, empty_label=_("All types")
    )
    theme = django_filters.ModelChoiceFilter(
        label=_("Theme"), queryset=Theme.objects.all(), empty_label=_("All themes")
    )

    class Meta:
        model = Petition
        fields: list[str] = []
        form = Form

    def __init__(
        self, *args: object, units: QuerySet[OrgUnit], today: date, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.filters["unit"].queryset = units
        self.today = today

    def filter_closeout(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.filter_closeout(queryset, value)

    def filter_progress(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.filter_missing_progress(queryset, self.today)

    def filter_issued_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(transfer_letter_issued_at__gte=_day_start(value))

    def filter_issued_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(transfer_letter_issued_at__lt=_day_start(value + timedelta(days=1)))


class SweepItemFilter(django_filters.FilterSet):
    """A sweep's items: by lead unit; all, the overdue ones, or those proposed for key supervision."""

    SHOW = [
        ("overdue", _("Overdue")),
        ("proposed", _("Proposed for key supervision")),
    ]

    unit = UnitFilter(
        label=_("Lead unit"),
        field_name="lead_unit",
        queryset=OrgUnit.objects.none(),
        empty_label=_("All units"),
    )
    show = django_filters.ChoiceFilter(
        label=_("Show"), choices=SHOW, empty_label=_("All unresolved"), method="filter_show"
    )
    # One level only: the items of that jurisdiction's own petitions (docs/rules.md §1).
    jurisdiction = UnitFilter(
        label=_("Level"),
        field_name="jurisdiction",
        queryset=OrgUnit.objects.none(),
        empty_label=_("All of mine"),
    )

    class Meta:
        model = SweepItem
        fields: list[str] = []
        form = Form

    def __init__(
        self,
        *args: object,
        units: QuerySet[OrgUnit],
        jurisdictions: QuerySet[OrgUnit] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.filters["unit"].queryset = units
        if jurisdictions is None:
            del self.filters["jurisdiction"]
        else:
            self.filters["jurisdiction"].queryset = jurisdictions

    def filter_show(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "proposed":
            return queryset.filter(proposed_for_key=True)
        return queryset.filter(working_days_overdue__gt=0)


class KeyDecisionForm(Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Put on the key list")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. the instruction to the lead unit, or why it is declined."),
    )


class FollowUpForm(Form):
    text = forms.CharField(
        label=_("Follow-up"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done to push the item on: calls, visits, meetings, answers."),
    )


class MonthField(SaneDateField):
    """A month typed as YYYY-MM (an <input type="month">), cleaned to its first day."""

    input_formats = ["%Y-%m"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    def to_python(self, value: object) -> date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class LevelForm(Form):
    """Which levels a page counts: all of the user's (with the roll-up by level), one jurisdiction and
    the levels below it, or one level only (docs/rules.md §1)."""

    jurisdiction = UnitChoiceField(
        label=_("Jurisdiction"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All of mine"),
    )
    own_level = forms.BooleanField(
        label=_("This level only"),
        required=False,
        help_text=_("Without the districts and zones below it."),
    )

    def __init__(self, *args: object, jurisdictions: QuerySet[OrgUnit], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = jurisdictions


class PeriodForm(LevelForm):
    """The statistics' period (whole months) and, optionally, one jurisdiction of the user's."""

    start = MonthField(label=_("From month"))
    end = MonthField(label=_("To month"))

    field_order = ["start", "end", "jurisdiction", "own_level"]

    def __init__(
        self, *args: object, jurisdictions: QuerySet[OrgUnit], today: date, **kwargs: object
    ) -> None:
        default = selectors.Period.last_months(today)
        kwargs.setdefault("initial", {"start": default.start, "end": default.end})
        super().__init__(*args, jurisdictions=jurisdictions, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The last month comes before the first."))
            elif len(selectors.Period.months_to(start, end).months) > MAX_MONTHS:
                self.add_error("end", _("Choose at most %(n)d months.") % {"n": MAX_MONTHS})
        return data

    def period(self) -> selectors.Period:
        return selectors.Period.months_to(self.cleaned_data["start"], self.cleaned_data["end"])
