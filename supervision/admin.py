"""Supervision in the admin (docs/conventions.md C10): the policy is reference data and editable; sweeps, key
supervision, reminders and job runs are records written by jobs and workflows, so read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from petitions.admin.history import HistoryAdmin
from petitions.admin.scoping import JurisdictionScopedAdmin
from supervision.models import (
    JobRun,
    KeyFollowUp,
    KeySupervision,
    Reminder,
    SupervisionPolicy,
    Sweep,
    SweepItem,
)


@admin.register(SupervisionPolicy)
class SupervisionPolicyAdmin(JurisdictionScopedAdmin, HistoryAdmin):
    list_display = (
        "__str__",
        "key_overdue_working_days",
        "key_extensions",
        "key_returns",
        "sweep_day",
        "recurring_threshold",
        "basic_satisfied_weight",
    )
    list_select_related = ("jurisdiction",)
    autocomplete_fields = ("jurisdiction",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records: viewable, never added, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "period", "status", "late", "started_at", "finished_at", "result")
    list_filter = ("job", "status", "late")
    date_hierarchy = "started_at"


@admin.register(Sweep)
class SweepAdmin(ReadOnlyAdmin):
    list_display = ("month", "run_on", "item_count", "proposed_count", "ran_at")
    date_hierarchy = "month"


@admin.register(SweepItem)
class SweepItemAdmin(ReadOnlyAdmin):
    list_display = (
        "sweep",
        "petition",
        "jurisdiction",
        "lead_unit",
        "state",
        "due_on",
        "working_days_overdue",
        "extensions",
        "returns",
        "proposed_for_key",
    )
    list_filter = ("sweep", "proposed_for_key", "jurisdiction")
    list_select_related = ("sweep", "petition", "jurisdiction", "lead_unit")
    search_fields = ("petition__number", "petition__title")
    raw_id_fields = ("petition",)


class KeyFollowUpInline(admin.TabularInline):
    model = KeyFollowUp
    fields = ("created_at", "author", "text")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(KeySupervision)
class KeySupervisionAdmin(ReadOnlyAdmin):
    list_display = (
        "petition",
        "sweep",
        "status",
        "decided_by",
        "decided_at",
        "follow_up_due_on",
        "closed_at",
    )
    list_filter = ("status", "sweep")
    list_select_related = ("petition", "sweep", "decided_by")
    search_fields = ("petition__number", "petition__title")
    raw_id_fields = ("petition",)
    inlines = (KeyFollowUpInline,)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("on_date", "kind", "user", "petition_count", "sent_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
    date_hierarchy = "on_date"
    search_fields = ("user__username",)
