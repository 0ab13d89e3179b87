"""The records of a petition, read-only and scoped to the petitions the user may see; extensions and
returns also carry their lifecycle actions (petitions/admin/lifecycle.py).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from petitions import events
from petitions.admin.actions import WorkflowActionsMixin
from petitions.admin.lifecycle import EXTENSION_ACTIONS, RETURN_ACTIONS
from petitions.admin.scoping import MissingIs404Mixin
from petitions.models import (
    Attachment,
    ContactRecord,
    Deadline,
    Evaluation,
    Extension,
    JurisdictionNumber,
    LevelTransfer,
    Notification,
    Petition,
    PetitionEvent,
    PetitionNumber,
    PetitionReturn,
    ProgressReport,
    Reply,
    User,
)


class PetitionScopedMixin(MissingIs404Mixin):
    """Non-superusers see only what `Petition.objects.visible_to` lets them; strangers get 404."""

    def scope(self, qs: QuerySet, user: User) -> QuerySet:
        return qs.filter(petition__in=Petition.objects.visible_to(user))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else self.scope(qs, request.user)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RecordAdmin(PetitionScopedMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_select_related = ("petition",)
    search_fields = ("petition__number",)


@admin.register(PetitionNumber)
class PetitionNumberAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("year", "last")


@admin.register(JurisdictionNumber)
class JurisdictionNumberAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("jurisdiction", "year", "last")
    list_select_related = ("jurisdiction",)


@admin.register(LevelTransfer)
class LevelTransferAdmin(RecordAdmin):
    """Moves between levels (docs/rules.md §1): recorded by the workflow only."""

    list_display = ("created_at", "petition", "direction", "from_jurisdiction", "to_jurisdiction")
    list_filter = ("direction",)
    list_select_related = ("petition", "from_jurisdiction", "to_jurisdiction")


@admin.register(Deadline)
class DeadlineAdmin(RecordAdmin):
    list_display = ("petition", "step", "start_on", "due_on", "estimated", "closed_at")
    list_filter = ("step", "estimated", ("closed_at", admin.EmptyFieldListFilter))
    date_hierarchy = "due_on"


@admin.register(PetitionEvent)
class PetitionEventAdmin(RecordAdmin):
    list_display = (
        "created_at",
        "petition",
        "action_label",
        "actor",
        "from_state",
        "to_state",
        "visible_to_firm",
    )
    list_filter = ("action", "visible_to_firm")
    list_select_related = ("petition", "actor")
    date_hierarchy = "created_at"

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj: PetitionEvent) -> str:
        return events.label(obj.action)


@admin.register(Attachment)
class AttachmentAdmin(RecordAdmin):
    list_display = ("original_name", "petition", "content_type", "size", "unit", "created_at")
    list_select_related = ("petition", "unit")


@admin.register(ContactRecord)
class ContactRecordAdmin(RecordAdmin):
    list_display = ("petition", "unit", "contacted_at", "method", "recorded_by")
    list_filter = ("method",)
    list_select_related = ("petition", "unit", "recorded_by")


@admin.register(ProgressReport)
class ProgressReportAdmin(RecordAdmin):
    list_display = ("petition", "unit", "week_thursday", "author", "created_at")
    list_select_related = ("petition", "unit", "author")
    date_hierarchy = "week_thursday"


@admin.register(Reply)
class ReplyAdmin(RecordAdmin):
    list_display = ("petition", "kind", "unit", "author", "created_at")
    list_filter = ("kind",)
    list_select_related = ("petition", "unit", "author")


@admin.register(Evaluation)
class EvaluationAdmin(RecordAdmin):
    list_display = ("petition", "rating", "source", "method", "is_valid", "created_at")
    list_filter = ("rating", "source", "is_valid")


@admin.register(Notification)
class NotificationAdmin(RecordAdmin):
    """In-app notices; besides those on visible petitions, a user sees the ones sent to them."""

    list_display = ("created_at", "user", "petition", "kind", "title", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "petition")
    search_fields = ("petition__number", "title", "user__username")

    def scope(self, qs: QuerySet[Notification], user: User) -> QuerySet[Notification]:
        return qs.filter(Q(petition__in=Petition.objects.visible_to(user)) | Q(user_id=user.pk))


@admin.register(Extension)
class ExtensionAdmin(WorkflowActionsMixin, RecordAdmin):
    list_display = ("petition", "unit", "amount", "status", "requested_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("petition", "unit", "requested_by")
    actions = EXTENSION_ACTIONS


@admin.register(PetitionReturn)
class PetitionReturnAdmin(WorkflowActionsMixin, RecordAdmin):
    list_display = ("petition", "unit", "reason_code", "suggested_unit", "decision", "created_at")
    list_filter = ("decision", "reason_code")
    list_select_related = ("petition", "unit", "suggested_unit")
    actions = RETURN_ACTIONS
