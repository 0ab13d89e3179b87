"""The task force's admin: reference data, read-only records, and lifecycle actions (docs/conventions.md C10).

`state` and every field a workflow step sets are read-only; a transition is an admin action that
calls `petitions.workflow` (the actions and their input forms are in petitions/admin_actions.py).
Adding a petition or confirming a calendar year also goes through the workflow.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from petitions import access, events, workdays, workflow
from petitions.admin_actions import (
    EXTENSION_ACTIONS,
    PETITION_ACTIONS,
    RETURN_ACTIONS,
    WorkflowActionsMixin,
    WorkflowAddMixin,
)
from petitions.admin_history import HistoryAdmin
from petitions.models import (
    Attachment,
    CalendarOverride,
    CalendarYear,
    ContactRecord,
    Deadline,
    Enterprise,
    EnterpriseTag,
    Evaluation,
    Extension,
    Notification,
    OrgUnit,
    Petition,
    PetitionEvent,
    PetitionNumber,
    PetitionReturn,
    ProgressReport,
    Reply,
    Role,
    RoutingRule,
    State,
    Theme,
    TimeLimitPolicy,
    User,
)

# --- organisation and registry ---------------------------------------------------------------------


@admin.register(OrgUnit)
class OrgUnitAdmin(HistoryAdmin):
    list_display = ("name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)


# --- accounts: only a superuser manages staff, roles, groups and permissions ------------------------

# A non-superuser who may change users (the task force, petitions/roles.py) sees only the firm
# accounts of its jurisdiction, and may change only the name and whether the account may sign in.
# Not the e-mail (a password reset is sent there), not the firm, role or unit (they decide what the
# account sees), never the password, the admin flags, groups or permissions.
FIRM_ACCOUNT_FIELDSETS = (
    (None, {"fields": ("username", "first_name", "last_name", "email", "mobile")}),
    (_("Organisation"), {"fields": ("role", "enterprise")}),
    (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
)
FIRM_ACCOUNT_EDITABLE = ("first_name", "last_name", "is_active")


class FirmAccountForm(forms.ModelForm):
    """Without the stock form's password field, whose link leads to setting a new password."""

    class Meta:
        model = User
        fields = FIRM_ACCOUNT_EDITABLE


@admin.register(User)
class UserAdmin(HistoryAdmin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Organisation"), {"fields": ("role", "unit", "enterprise", "mobile")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Organisation"), {"classes": ("wide",), "fields": ("role", "unit", "enterprise")}),
    )
    list_display = ("username", "first_name", "last_name", "role", "unit", "enterprise", "is_staff")
    list_filter = (
        "role",
        "is_staff",
        "is_superuser",
        "is_active",
        ("unit", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("unit", "enterprise")
    autocomplete_fields = ("unit", "enterprise")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(
            role=Role.ENTERPRISE,
            is_staff=False,
            is_superuser=False,
            enterprise__in=_enterprises_for(request.user),
        )

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("Not found."))
        return obj

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return FIRM_ACCOUNT_FIELDSETS

    def get_form(
        self, request: HttpRequest, obj: User | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if not request.user.is_superuser:
            kwargs["form"] = FirmAccountForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        shown = [f for _name, opts in FIRM_ACCOUNT_FIELDSETS for f in opts["fields"]]
        return tuple(f for f in shown if f not in FIRM_ACCOUNT_EDITABLE)

    def get_list_display(self, request: HttpRequest) -> Any:
        if request.user.is_superuser:
            return self.list_display
        return ("username", "first_name", "last_name", "enterprise", "is_active")

    def get_list_filter(self, request: HttpRequest) -> Any:
        return self.list_filter if request.user.is_superuser else ("is_active",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Firms open their own accounts on the portal; officials are added by a superuser.
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Whoever sets an account's password can sign in as it; firms reset theirs by e-mail.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


class SuperuserOnlyAdmin:
    """Groups decide who may do what: only a superuser sees or changes them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SuperuserOnlyAdmin, DjangoGroupAdmin):
    pass


def _enterprises_for(user: User, qs: QuerySet[Enterprise] | None = None) -> QuerySet[Enterprise]:
    """Firms registered in the user's jurisdictions; all of them for superusers."""
    qs = Enterprise.objects.all() if qs is None else qs
    if user.is_superuser:
        return qs
    if user.unit_id is None:
        return qs.none()
    return qs.filter(jurisdiction_id__in=access.jurisdiction_ids_under(user.unit))


@admin.register(Enterprise)
class EnterpriseAdmin(HistoryAdmin):
    list_display = ("name", "uscc", "jurisdiction", "ownership", "is_chamber", "is_verified")
    list_filter = (
        ("jurisdiction", admin.RelatedOnlyFieldListFilter),
        "ownership",
        "tags",
        "is_verified",
        "is_chamber",
    )
    search_fields = ("uscc", "name", "contact_name", "contact_phone")
    filter_horizontal = ("tags", "liaison_leaders")
    list_select_related = ("jurisdiction",)
    autocomplete_fields = ("jurisdiction",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enterprise]:
        return _enterprises_for(request.user, super().get_queryset(request))


@admin.register(EnterpriseTag)
class EnterpriseTagAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")


@admin.register(RoutingRule)
class RoutingRuleAdmin(HistoryAdmin):
    list_display = ("theme", "jurisdiction", "unit", "note")
    list_filter = (("jurisdiction", admin.RelatedOnlyFieldListFilter), "theme")
    search_fields = ("theme__name", "unit__name", "note")
    list_select_related = ("theme", "jurisdiction", "unit")
    autocomplete_fields = ("jurisdiction", "unit")
    filter_horizontal = ("co_units",)


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(HistoryAdmin):
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


# --- records: read-only, scoped to the petitions the user may see --------------------------------


class PetitionScopedMixin:
    """Non-superusers see only what `Petition.objects.visible_to` lets them; strangers get 404."""

    def scope(self, qs: QuerySet, user: User) -> QuerySet:
        return qs.filter(petition__in=Petition.objects.visible_to(user))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else self.scope(qs, request.user)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("Not found."))
        return obj


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


# --- petitions ---------------------------------------------------------------------------------------

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
            kwargs["queryset"] = _enterprises_for(request.user)
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
