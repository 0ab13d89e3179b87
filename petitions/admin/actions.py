"""The machinery of the admin's lifecycle actions and workflow-backed "add" pages
(docs/conventions.md C1, C10).

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
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext

from petitions.admin.action_forms import WorkflowInputForm
from petitions.exceptions import WorkflowError
from petitions.models import (
    Petition,
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
