"""Meetings in the admin: for looking up and correcting data (docs/conventions.md C10).

`state` and every field a workflow step sets are read-only; the lifecycle is driven from the
meeting pages, and the two admin actions call meetings.workflow (never assign `state`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from meetings import selectors, workflow
from meetings.models import CatalogueItem, Meeting, MeetingEvaluation, Topic
from petitions.exceptions import WorkflowError

WORKFLOW_FIELDS = (
    "state",
    "catalogue_due_on",
    "submitted_at",
    "reviewed_by",
    "reviewed_at",
    "review_note",
    "approved_by",
    "approved_at",
    "notice_issued_at",
    "held_at",
    "assigned_at",
    "closed_at",
    "created_by",
    "created_at",
)


def _scoped(request: HttpRequest, queryset: QuerySet, field: str) -> QuerySet:
    """Superusers see everything; other admin users only their jurisdictions."""
    if request.user.is_superuser:
        return queryset
    return queryset.filter(**{f"{field}__in": selectors.jurisdiction_ids(request.user)})


def _run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Meeting],
    action: Callable[..., object],
    done: str,
) -> None:
    """Call one workflow function per meeting; a refusal is reported and the others still run."""
    ok = 0
    for meeting in queryset:
        try:
            action(meeting_id=meeting.pk, actor=request.user)
        except (WorkflowError, PermissionDenied) as e:
            text = " ".join(e.messages) if isinstance(e, WorkflowError) else str(e)
            modeladmin.message_user(request, f"{meeting}: {text}", messages.ERROR)
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, f"{done} ({ok})", messages.SUCCESS)


class CatalogueItemInline(admin.TabularInline):
    model = CatalogueItem
    extra = 0
    can_delete = False
    fields = ("number", "enterprise_name", "lead_unit", "limit_days", "outcome", "petition")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("title", "jurisdiction", "kind", "date", "state", "catalogue_due_on")
    list_filter = ("state", "kind", "jurisdiction")
    search_fields = ("title", "location")
    date_hierarchy = "date"
    list_select_related = ("jurisdiction",)
    readonly_fields = WORKFLOW_FIELDS
    filter_horizontal = ("leaders", "departments", "firms")
    inlines = (CatalogueItemInline,)
    actions = ("issue_notice", "close")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        return _scoped(request, super().get_queryset(request), "jurisdiction_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # meetings are planned on the meeting pages, through workflow.plan

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description=_("Issue the notice of the selected meetings"))
    def issue_notice(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        _run(self, request, queryset, workflow.issue_notice, str(_("Notice issued")))

    @admin.action(description=_("Close the selected meetings"))
    def close(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        _run(self, request, queryset, workflow.close, str(_("Closed")))


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("pk", "jurisdiction", "meeting", "source", "enterprise", "status", "created_at")
    list_filter = ("status", "source", "rule", "jurisdiction")
    search_fields = ("problem", "enterprise__name", "person_in_charge")
    list_select_related = ("jurisdiction", "meeting", "enterprise")
    readonly_fields = (
        "jurisdiction",
        "meeting",
        "source",
        "rule",
        "enterprise",
        "petition",
        "status",
        "referred_from",  # set only by meetings.workflow.send_up (docs/rules.md §1)
        "referral_reason",
        "submitted_by",
        "created_at",
    )
    filter_horizontal = ("co_units",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return _scoped(request, super().get_queryset(request), "jurisdiction_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ("meeting", "number", "enterprise_name", "lead_unit", "limit_days", "outcome")
    list_filter = ("outcome",)
    search_fields = ("enterprise_name", "problem", "meeting__title")
    list_select_related = ("meeting", "lead_unit")
    readonly_fields = (
        "meeting",
        "topic",
        "number",
        "outcome",
        "assign_due_on",
        "petition",
        "assigned_at",
    )
    filter_horizontal = ("co_units",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CatalogueItem]:
        return _scoped(request, super().get_queryset(request), "meeting__jurisdiction_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(MeetingEvaluation)
class MeetingEvaluationAdmin(admin.ModelAdmin):
    list_display = ("meeting", "enterprise", "rating", "person_in_charge", "created_at")
    list_filter = ("rating",)
    search_fields = ("enterprise__name", "meeting__title")
    list_select_related = ("meeting", "enterprise")
    readonly_fields = (
        "meeting",
        "enterprise",
        "person_in_charge",
        "phone",
        "rating",
        "suggestions",
        "submitted_by",
        "created_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[MeetingEvaluation]:
        return _scoped(request, super().get_queryset(request), "meeting__jurisdiction_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
