"""Lifecycle actions and workflow-backed "add" pages for the task force's admin (docs/conventions.md C1, C10).

An admin action here is a thin shell around one `petitions.workflow` function: it collects the input
the function needs on an intermediate page (the standard Django pattern: the selected ids travel as
hidden `_selected_action` inputs), then calls the function once per selected object. A refusal for
one object is reported with its petition number and the others still run. Forms check shape; the
workflow checks the rules (docs/conventions.md C6).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from petitions import access, workflow
from petitions.exceptions import WorkflowError
from petitions.models import (
    Extension,
    OrgUnit,
    Petition,
    PetitionReturn,
    RejectReason,
    ReturnDecision,
    Role,
    User,
)

ACTION_TEMPLATE = "admin/petitions/action_form.html"

# What a workflow function may raise for one object: a broken rule or a missing right.
REFUSALS = (WorkflowError, PermissionDenied)

Runner = Callable[[Any, User, dict[str, Any]], object]


def refusal_text(error: Exception) -> str:
    """The message of a refusal, in the user's language."""
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    return str(error) or gettext("You may not do this.")


# --- who may be chosen ----------------------------------------------------------------------------


def _jurisdiction_ids(user: User) -> list[int] | None:
    """The jurisdictions a user works in; None means all (superusers)."""
    if user.is_superuser:
        return None
    if user.unit_id is None:
        return []
    return access.jurisdiction_ids_under(user.unit)


def handling_units_for(user: User) -> QuerySet[OrgUnit]:
    """Active departments and lower governments in the user's jurisdictions."""
    units = OrgUnit.objects.handling_units().filter(is_active=True)
    ids = _jurisdiction_ids(user)
    if ids is None:
        return units
    return units.filter(Q(pk__in=ids) | Q(parent_id__in=ids))


def leaders_for(user: User) -> QuerySet[User]:
    """Active leaders whose unit sits in, above or below the user's jurisdiction."""
    leaders = User.objects.filter(role=Role.LEADER, is_active=True, unit__isnull=False)
    ids = _jurisdiction_ids(user)
    if ids is None:
        return leaders.select_related("unit")
    if ids:
        top = user.unit.jurisdiction()
        ids = [*ids, *(unit.pk for unit in top.ancestors())]
    return leaders.filter(Q(unit_id__in=ids) | Q(unit__parent_id__in=ids)).select_related("unit")


def visible_petitions(user: User) -> QuerySet[Petition]:
    return Petition.objects.all() if user.is_superuser else Petition.objects.visible_to(user)


# --- the input each action needs ------------------------------------------------------------------


class WorkflowInputForm(forms.Form):
    """Input for a lifecycle action; querysets are scoped to the acting user.

    Field names avoid `action`, `index`, `select_across` and `_selected_action`, which the
    changelist's own action form uses.
    """

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)


def _note(*, required: bool = False, label: str | None = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Note"),
        required=required,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class NoteForm(WorkflowInputForm):
    note = _note()


class RequiredNoteForm(WorkflowInputForm):
    note = _note(required=True)


class RejectForm(WorkflowInputForm):
    reason = forms.ChoiceField(label=_("Reason not accepted"), choices=RejectReason.choices)
    explanation = _note(required=True, label=_("Explanation to the enterprise"))


class DuplicateForm(WorkflowInputForm):
    original_number = forms.CharField(
        label=_("Number of the original petition"),
        max_length=20,
        help_text=_("E.g. ZQ2026-000123."),
    )
    note = _note()

    def clean_original_number(self) -> Petition:
        number = self.cleaned_data["original_number"].strip().upper()
        original = visible_petitions(self.user).filter(number=number).first()
        if original is None:
            raise ValidationError(
                _("No petition numbered %(number)s was found."),
                code="not_found",
                params={"number": number},
            )
        return original


class UnitForm(WorkflowInputForm):
    """A lead unit and co-handling units, to propose or to reassign after a return."""

    unit = forms.ModelChoiceField(label=_("Lead unit"), queryset=OrgUnit.objects.none())
    co_units = forms.ModelMultipleChoiceField(
        label=_("Co-handling units"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=FilteredSelectMultiple(_("co-handling units"), is_stacked=False),
    )
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = handling_units_for(self.user)
        self.fields["unit"].queryset = units
        self.fields["co_units"].queryset = units


class LeaderForm(WorkflowInputForm):
    leader = forms.ModelChoiceField(label=_("Leader"), queryset=User.objects.none())
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders_for(self.user)


class InstructionForm(WorkflowInputForm):
    instruction = _note(label=_("Instruction"))


class RequiredInstructionForm(WorkflowInputForm):
    instruction = _note(required=True, label=_("Instruction"))


# --- the action machinery -----------------------------------------------------------------------


def petition_label(obj: Petition) -> str:
    return obj.number


def record_label(obj: Model) -> str:
    """A record (extension, return) is named by its petition's number."""
    return obj.petition.number


def render_action_form(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    name: str,
    description: str,
    form: WorkflowInputForm,
    objects: Iterable[Model],
) -> TemplateResponse:
    """The intermediate page: the selected objects, the form, and the ids as hidden inputs."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": description,
        "opts": opts,
        "app_label": opts.app_label,
        "form": form,
        "objects": list(objects),
        "action": name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, ACTION_TEMPLATE, context)


def run_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    run: Runner,
    data: dict[str, Any],
    description: str,
    label: Callable[[Any], str],
) -> int:
    """Call the workflow once per object, each in its own transaction; report refusals one by one."""
    done = 0
    for obj in queryset:
        try:
            run(obj, request.user, data)
        except REFUSALS as error:
            modeladmin.message_user(
                request,
                gettext("%(number)s: %(message)s")
                % {"number": label(obj), "message": refusal_text(error)},
                messages.ERROR,
            )
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request,
            ngettext(
                "“%(action)s” done for %(count)d selected item.",
                "“%(action)s” done for %(count)d selected items.",
                done,
            )
            % {"action": description, "count": done},
            messages.SUCCESS,
        )
    return done


def workflow_action(
    name: str,
    description: str,
    run: Runner,
    *,
    form_class: type[WorkflowInputForm] | None = None,
    label: Callable[[Any], str] = petition_label,
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet], HttpResponse | None]:
    """An admin action named `name` that calls `run(obj, actor, cleaned_data)` for each selected object.

    With a form class, the first post shows the intermediate page; the post with `apply` runs the
    action if the form is valid, or shows the page again with its errors and changes nothing.
    """

    def action(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        data: dict[str, Any] = {}
        if form_class is not None:
            if "apply" in request.POST:
                form = form_class(request.POST, user=request.user)
            else:
                form = form_class(user=request.user)
            if not form.is_bound or not form.is_valid():
                return render_action_form(
                    modeladmin,
                    request,
                    name=name,
                    description=str(description),
                    form=form,
                    objects=queryset,
                )
            data = form.cleaned_data
        run_each(
            modeladmin,
            request,
            queryset,
            run=run,
            data=data,
            description=str(description),
            label=label,
        )
        return None

    action.__name__ = action.__qualname__ = name
    return admin.action(description=description, permissions=["workflow"])(action)


class WorkflowActionsMixin:
    """Lifecycle actions are offered to whoever may change the model; the workflow checks the rest."""

    def has_workflow_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        codename = get_permission_codename("change", opts)
        return request.user.has_perm(f"{opts.app_label}.{codename}")


# --- the actions: one workflow function each --------------------------------------------------------


def _review_return(uphold: bool, *, of_record: bool) -> Runner:
    """Review a return; from a return row, only one still pending (the workflow takes the latest)."""

    def run(obj: Petition | PetitionReturn, actor: User, data: dict[str, Any]) -> None:
        if of_record:
            if obj.decision != ReturnDecision.PENDING:
                raise WorkflowError(gettext("This return has already been reviewed."))
            petition_id = obj.petition_id
        else:
            petition_id = obj.pk
        workflow.review_return(
            petition_id=petition_id,
            actor=actor,
            uphold=uphold,
            unit=data.get("unit"),
            co_units=data.get("co_units", ()),
            note=data["note"],
        )

    return run


UPHOLD_RETURN = _("Uphold the return and reassign")
OVERRULE_RETURN = _("Overrule the return: the unit keeps the case")


def _petition_step(name: str) -> Runner:
    """A runner that calls `workflow.<name>(petition_id=..., actor=..., **input)`."""

    def run(petition: Petition, actor: User, data: dict[str, Any]) -> None:
        getattr(workflow, name)(petition_id=petition.pk, actor=actor, **data)

    return run


def _mark_duplicate(petition: Petition, actor: User, data: dict[str, Any]) -> None:
    workflow.mark_duplicate(
        petition_id=petition.pk,
        actor=actor,
        original_id=data["original_number"].pk,
        note=data["note"],
    )


PETITION_ACTIONS = [
    workflow_action("accept", _("Accept"), _petition_step("accept")),
    workflow_action(
        "reject", _("Do not accept (with reason)"), _petition_step("reject"), form_class=RejectForm
    ),
    workflow_action(
        "mark_duplicate", _("Mark as duplicate"), _mark_duplicate, form_class=DuplicateForm
    ),
    workflow_action(
        "propose", _("Propose a lead unit"), _petition_step("propose"), form_class=UnitForm
    ),
    workflow_action(
        "uphold_return",
        UPHOLD_RETURN,
        _review_return(True, of_record=False),
        form_class=UnitForm,
    ),
    workflow_action(
        "overrule_return",
        OVERRULE_RETURN,
        _review_return(False, of_record=False),
        form_class=NoteForm,
    ),
    workflow_action(
        "submit_for_approval",
        _("Submit for a leader's approval"),
        _petition_step("submit_for_approval"),
        form_class=LeaderForm,
    ),
    workflow_action(
        "approve", _("Approve (leader)"), _petition_step("approve"), form_class=InstructionForm
    ),
    workflow_action(
        "send_back",
        _("Send back (leader)"),
        _petition_step("send_back"),
        form_class=RequiredInstructionForm,
    ),
    workflow_action(
        "issue_transfer_letter",
        _("Issue the transfer letter"),
        _petition_step("issue_transfer_letter"),
    ),
    workflow_action(
        "conclude",
        _("Conclude without an evaluation"),
        _petition_step("conclude"),
        form_class=RequiredNoteForm,
    ),
    workflow_action("archive", _("Archive"), _petition_step("archive")),
]


def _decide_extension(approve: bool) -> Runner:
    def run(extension: Extension, actor: User, data: dict[str, Any]) -> None:
        workflow.decide_extension(
            extension_id=extension.pk, actor=actor, approve=approve, note=data["note"]
        )

    return run


EXTENSION_ACTIONS = [
    workflow_action(
        "approve_extension",
        _("Approve the extension"),
        _decide_extension(True),
        form_class=NoteForm,
        label=record_label,
    ),
    workflow_action(
        "deny_extension",
        _("Deny the extension"),
        _decide_extension(False),
        form_class=NoteForm,
        label=record_label,
    ),
]


RETURN_ACTIONS = [
    workflow_action(
        "uphold_return",
        UPHOLD_RETURN,
        _review_return(True, of_record=True),
        form_class=UnitForm,
        label=record_label,
    ),
    workflow_action(
        "overrule_return",
        OVERRULE_RETURN,
        _review_return(False, of_record=True),
        form_class=NoteForm,
        label=record_label,
    ),
]


# --- "add" pages that go through a workflow function --------------------------------------------


class WorkflowAddMixin:
    """An add page whose valid form is handed to a workflow function instead of `form.save()`.

    `perform_add(request, form)` calls the workflow and returns the created object; a refusal is
    shown on the form, keeping what was typed (docs/conventions.md C6).
    """

    def perform_add(self, request: HttpRequest, form: forms.ModelForm) -> Model:
        raise NotImplementedError

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        fieldsets = self.get_fieldsets(request)
        form_class = self.get_form(request, None, change=False, fields=flatten_fieldsets(fieldsets))
        if request.method == "POST":
            form = form_class(request.POST, request.FILES)
            if form.is_valid():
                try:
                    obj = self.perform_add(request, form)
                except REFUSALS as error:
                    form.add_error(None, refusal_text(error))
                else:
                    self.log_addition(request, obj, [{"added": {}}])
                    return self.response_add(request, obj)
        else:
            form = form_class(initial=self.get_changeform_initial_data(request))
        admin_form = helpers.AdminForm(
            form,
            list(fieldsets),
            self.get_prepopulated_fields(request),
            (),
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Add %s") % self.opts.verbose_name,
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, change=False, form_url=form_url)
