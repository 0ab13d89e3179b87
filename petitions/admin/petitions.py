"""The petition page: registration through `workflow.register`, content edits only, the records of the
case as read-only inlines, and the lifecycle actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions import events, workflow
from petitions.admin.actions import WorkflowActionsMixin, WorkflowAddMixin
from petitions.admin.lifecycle import PETITION_ACTIONS
from petitions.admin.records import PetitionScopedMixin
from petitions.admin.scoping import enterprises_for
from petitions.models import (
    Attachment,
    ContactRecord,
    Deadline,
    Evaluation,
    Extension,
    Petition,
    PetitionEvent,
    PetitionReturn,
    ProgressReport,
    Reply,
    State,
    Theme,
    User,
)

# The only fields a plain save may change; everything else belongs to workflow steps.
CONTENT_FIELDS = (
    "title",
    "content",
    "request",
    "theme",
    "scope_class",
    "demand_class",
    "nature_class",
    "age_class",
    "tier",
    "publication_consent",
)
REGISTER_FIELDS = (
    "enterprise",
    "channel",
    "channel_ref",
    "received_at",
    "type",
    "theme",
    "title",
    "content",
    "request",
    "publication_consent",
)


class PetitionRegisterForm(forms.ModelForm):
    """受理登记 by the task force: the fields `workflow.register` takes; never saved directly."""

    class Meta:
        model = Petition
        fields = REGISTER_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = timezone.now
        self.fields["theme"].queryset = Theme.objects.filter(is_active=True)

    def workflow_kwargs(self) -> dict[str, Any]:
        """`cleaned_data` as the keyword arguments of `workflow.register` (docs/conventions.md C6)."""
        data = dict(self.cleaned_data)
        theme = data.pop("theme", None)
        return {**data, "theme_id": theme.pk if theme else None}


class RecordInline(admin.TabularInline):
    """A read-only list of one kind of record on the petition page."""

    extra = 0
    can_delete = False
    show_change_link = True
    select_related: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple:
        return self.fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.select_related)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DeadlineInline(RecordInline):
    model = Deadline
    fields = ("step", "start_on", "amount", "unit", "extra", "due_on", "estimated", "closed_at")


class EventInline(RecordInline):
    model = PetitionEvent
    verbose_name_plural = _("timeline")
    fields = ("created_at", "action_label", "actor", "from_state", "to_state", "note")
    select_related = ("actor",)
    show_change_link = False

    @admin.display(description=_("action"))
    def action_label(self, obj: PetitionEvent) -> str:
        return events.label(obj.action)


class ReplyInline(RecordInline):
    model = Reply
    fields = ("created_at", "kind", "unit", "author", "text")
    select_related = ("unit", "author")


class EvaluationInline(RecordInline):
    model = Evaluation
    fields = ("created_at", "rating", "source", "method", "comment", "is_valid")


class ContactInline(RecordInline):
    model = ContactRecord
    fields = ("contacted_at", "unit", "method", "summary", "recorded_by")
    select_related = ("unit", "recorded_by")


class ProgressInline(RecordInline):
    model = ProgressReport
    fields = ("week_thursday", "unit", "author", "text")
    select_related = ("unit", "author")


class ExtensionInline(RecordInline):
    model = Extension
    fields = ("created_at", "unit", "reason", "amount", "status", "due_before", "due_after")
    select_related = ("unit",)


class ReturnInline(RecordInline):
    model = PetitionReturn
    fields = ("created_at", "unit", "reason_code", "reason", "suggested_unit", "decision")
    select_related = ("unit", "suggested_unit")


class AttachmentInline(RecordInline):
    model = Attachment
    fields = ("created_at", "file", "original_name", "size", "unit", "visible_to_firm")
    select_related = ("unit",)


@admin.register(Petition)
class PetitionAdmin(WorkflowActionsMixin, WorkflowAddMixin, PetitionScopedMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "enterprise",
        "type",
        "state",
        "lead_unit",
        "due_on",
        "due_step",
    )
    list_filter = (
        "state",
        "type",
        "channel",
        "theme",
        ("jurisdiction", admin.RelatedOnlyFieldListFilter),
        "tier",
    )
    search_fields = ("number", "title", "content", "enterprise__name", "enterprise__uscc")
    date_hierarchy = "received_at"
    list_select_related = ("enterprise", "lead_unit")
    autocomplete_fields = ("enterprise",)
    actions = PETITION_ACTIONS
    inlines = (
        DeadlineInline,
        EventInline,
        ReplyInline,
        EvaluationInline,
        ContactInline,
        ProgressInline,
        ExtensionInline,
        ReturnInline,
        AttachmentInline,
    )
    add_fieldsets = ((None, {"fields": REGISTER_FIELDS}),)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "state",
                    "enterprise",
                    "channel",
                    "channel_ref",
                    "received_at",
                    "submitted_by",
                    "jurisdiction",
                    "type",
                )
            },
        ),
        (_("Content"), {"fields": ("title", "content", "request", "publication_consent")}),
        (
            _("Classification"),
            {
                "fields": (
                    "theme",
                    "tier",
                    "scope_class",
                    "demand_class",
                    "nature_class",
                    "age_class",
                )
            },
        ),
        (
            _("Triage"),
            {"fields": ("accepted_at", "reject_reason", "reject_explanation", "duplicate_of")},
        ),
        (
            _("Assignment"),
            {
                "fields": (
                    "proposed_unit",
                    "lead_unit",
                    "co_units",
                    "return_count",
                    "confirmed_at",
                    "needs_leader_approval",
                    "approval_leader",
                    "approved_at",
                    "leader_instruction",
                    "transfer_letter_no",
                    "transfer_letter_issued_at",
                )
            },
        ),
        (
            _("Handling"),
            {
                "fields": (
                    "due_on",
                    "due_step",
                    "contacted_at",
                    "extension_count",
                    "replied_at",
                    "rehandle_count",
                    "concluded_at",
                    "archived_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def scope(self, qs: QuerySet[Petition], user: User) -> QuerySet[Petition]:
        return qs.visible_to(user)

    def get_fieldsets(self, request: HttpRequest, obj: Petition | None = None) -> Any:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_form(
        self, request: HttpRequest, obj: Petition | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = PetitionRegisterForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Petition | None = None) -> tuple:
        if obj is None:
            return ()
        every = [f for _name, opts in self.fieldsets for f in opts["fields"]]
        if obj.state == State.ARCHIVED:
            # 资料归档: an archived case is kept as it was (Shantou 三(七)).
            return tuple(every)
        return tuple(f for f in every if f not in CONTENT_FIELDS)

    def get_inlines(self, request: HttpRequest, obj: Petition | None) -> Any:
        return self.inlines if obj is not None else ()

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name == "enterprise":
            kwargs["queryset"] = enterprises_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def perform_add(self, request: HttpRequest, form: PetitionRegisterForm) -> Petition:
        return workflow.register(actor=request.user, **form.workflow_kwargs())

    def save_model(
        self, request: HttpRequest, obj: Petition, form: forms.ModelForm, change: bool
    ) -> None:
        """Saves only the content fields that changed; `state` and workflow fields are never written."""
        if not change:  # pragma: no cover - the add page goes through perform_add
            raise PermissionDenied
        changed = [name for name in form.changed_data if name in CONTENT_FIELDS]
        if changed:
            obj.save(update_fields=[*changed, "updated_at"])
