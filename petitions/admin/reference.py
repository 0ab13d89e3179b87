"""Reference data: the organisation, themes, routing rules, time-limit policies and the calendar."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from petitions import staffing, workdays, workflow
from petitions.admin.actions import WorkflowAddMixin
from petitions.admin.history import HistoryAdmin
from petitions.admin.scoping import JurisdictionScopedAdmin
from petitions.models import (
    CalendarOverride,
    CalendarYear,
    OrgUnit,
    RoutingRule,
    Theme,
    TimeLimitPolicy,
)

# --- organisation -----------------------------------------------------------------------------------


@admin.register(OrgUnit)
class OrgUnitAdmin(HistoryAdmin):
    list_display = ("name", "kind", "parent", "is_stationed", "number_prefix", "is_active")
    list_filter = ("kind", "is_stationed", "is_active")
    search_fields = ("name", "short_name", "number_prefix")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        # The superuser builds the organisation: tell them which roles a level lacks, in the
        # words of the system check (petitions/staffing.py; docs/rules.md §1).
        if request.method == "GET" and request.user.is_superuser:
            for gap in staffing.gaps():
                messages.warning(request, gap.message)
        return super().changelist_view(request, extra_context)


# --- routing and time limits ----------------------------------------------------------------------


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")


@admin.register(RoutingRule)
class RoutingRuleAdmin(JurisdictionScopedAdmin, HistoryAdmin):
    list_display = ("theme", "jurisdiction", "unit", "note")
    list_filter = (("jurisdiction", admin.RelatedOnlyFieldListFilter), "theme")
    search_fields = ("theme__name", "unit__name", "note")
    list_select_related = ("theme", "jurisdiction", "unit")
    autocomplete_fields = ("jurisdiction", "unit")
    filter_horizontal = ("co_units",)
    unit_fields = ("unit", "co_units")


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(JurisdictionScopedAdmin, HistoryAdmin):
    list_display = ("rule", "jurisdiction_or_default", "amount", "unit", "source")
    list_editable = ("amount", "unit")
    list_filter = ("rule", "unit", ("jurisdiction", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("jurisdiction",)
    autocomplete_fields = ("jurisdiction",)

    @admin.display(description=_("jurisdiction"), ordering="jurisdiction__name")
    def jurisdiction_or_default(self, obj: TimeLimitPolicy) -> str:
        return obj.jurisdiction.name if obj.jurisdiction else gettext("default")


# --- calendar (docs/rules.md §5) ------------------------------------------------------------------------------


def warn_estimated_years(request: HttpRequest) -> None:
    """Say which of this year and the next two still run on an estimated calendar."""
    today = timezone.localdate()
    confirmed = workdays.confirmed_years()
    for year in range(today.year, today.year + 3):
        if year not in confirmed:
            messages.warning(
                request,
                gettext(
                    "%(year)d is an estimate: its official holiday schedule has not been "
                    "confirmed. Enter the official days as overrides, then confirm the year."
                )
                % {"year": year},
            )


class EstimateNoticeMixin:
    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            warn_estimated_years(request)
        return super().changelist_view(request, extra_context)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(EstimateNoticeMixin, HistoryAdmin):
    list_display = ("date", "is_working_day", "note")
    list_filter = ("is_working_day",)
    search_fields = ("note",)
    date_hierarchy = "date"


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ("year", "source")

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if not 2000 <= year <= 2100:
            raise forms.ValidationError(_("Enter a year between 2000 and 2100."), code="bad_year")
        return year


@admin.register(CalendarYear)
class CalendarYearAdmin(EstimateNoticeMixin, WorkflowAddMixin, HistoryAdmin):
    """Confirming a year recomputes the open deadlines computed on its estimate."""

    form = CalendarYearForm
    list_display = ("year", "confirmed_at", "confirmed_by", "source")
    list_select_related = ("confirmed_by",)
    fields = ("year", "source")

    def get_fields(self, request: HttpRequest, obj: CalendarYear | None = None) -> tuple:
        return self.fields if obj is None else ("year", "source", "confirmed_at", "confirmed_by")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def perform_add(self, request: HttpRequest, form: forms.ModelForm) -> CalendarYear:
        year = form.cleaned_data["year"]
        moved = workflow.confirm_calendar_year(
            year=year, actor=request.user, source=form.cleaned_data["source"]
        )
        self.message_user(
            request,
            ngettext(
                "%(year)d confirmed; %(count)d open deadline was recomputed.",
                "%(year)d confirmed; %(count)d open deadlines were recomputed.",
                moved,
            )
            % {"year": year, "count": moved},
            messages.INFO,
        )
        return CalendarYear.objects.get(year=year)
