"""One way to run an action from a page: validate the form, call one workflow function, show the outcome.

Every action view reads as a recipe (docs/conventions.md C5):

    outcome = run_action(
        request,
        form,
        lambda data: workflow.confirm(petition_id=pk, actor=request.user, **data),
        fields={"required": "reason"},
        success=_("Receipt confirmed."),
        redirect_to=url,
    )
    if outcome.response:
        return outcome.response
    return render(request, template, {"form": form}, status=400)

A refusal by the workflow (`WorkflowError`) lands on the form next to the field named by its code, else
above the form, and the bound form keeps what was typed (docs/conventions.md C6). A `PermissionDenied`
from the workflow is not caught: acting on a petition one may only read (a co-handler replying as the
lead, another leader deciding an approval) is the wrong audience, a 403 like every other one. A button without fields uses the same helper with `EmptyForm`; with
`refused_to` its refusal becomes an error message on the page it returns to.

Lives in petitions because imports point one way (meetings → supervision → petitions) and
`WorkflowError` is a petitions exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django_htmx.http import HttpResponseLocation

from petitions.exceptions import WorkflowError

#: Either a fixed value or one computed from what the workflow returned (e.g. the new petition).
Text = str | Callable[[Any], str | None] | None
Target = str | Callable[[Any], str] | None


class EmptyForm(forms.Form):
    """The form of a plain POST button: nothing to type, so only the workflow can refuse."""


@dataclass(frozen=True)
class Outcome:
    """What happened: `ok` and the workflow's `result`; `response` when the view should return it."""

    ok: bool
    result: Any = None
    response: HttpResponse | None = None


def run_action(
    request: HttpRequest,
    form: forms.Form,
    run: Callable[[dict[str, Any]], Any],
    *,
    fields: Mapping[str, str] | None = None,
    success: Text = None,
    redirect_to: Target = None,
    htmx: Mapping[str, str] | None = None,
    refused_to: str | None = None,
    invalid: str | None = None,
) -> Outcome:
    """Validate `form`, call `run(form.cleaned_data)`, and turn a refusal into the form's error.

    - `fields` maps an error code to the field the error belongs next to.
    - `success` is the message added on success (or a function of the result returning it; it may add
      other messages itself and return None).
    - `redirect_to` (a URL, a URL name, or a function of the result) gives `outcome.response` on
      success: a redirect, or with htmx an `HttpResponseLocation` (with the `htmx` swap options).
      Without it the view builds its own response from `outcome.ok`.
    - `refused_to`: for buttons posted from another page, a refusal (invalid form or workflow) becomes
      an error message and a redirect there, since there is no form on screen to show it; `invalid`
      replaces the field errors of an invalid form with one message (e.g. "Choose a topic.").
    """
    valid = form.is_valid()
    if valid:
        try:
            result = run(form.cleaned_data)
        except WorkflowError as error:
            add_refusal(form, error, fields or {})
        else:
            message = success(result) if callable(success) else success
            if message:
                messages.success(request, str(message))
            target = redirect_to(result) if callable(redirect_to) else redirect_to
            response = _go(request, target, htmx) if target else None
            return Outcome(ok=True, result=result, response=response)
    if refused_to is not None:
        for text in [invalid] if invalid and not valid else _error_texts(form):
            messages.error(request, str(text))
        return Outcome(ok=False, response=redirect(refused_to))
    return Outcome(ok=False)


def add_refusal(form: forms.Form, error: ValidationError, fields: Mapping[str, str]) -> None:
    """Put a refusal next to the field it is about (by its code), else at the top of the form."""
    field = fields.get(getattr(error, "code", None) or "")
    if hasattr(error, "error_dict") or field not in form.fields:
        field = None
    form.add_error(field, error)


def _go(request: HttpRequest, target: str, htmx: Mapping[str, str] | None) -> HttpResponse:
    if request.htmx:
        return HttpResponseLocation(resolve_url(target), **(htmx or {}))
    return redirect(target)


def _error_texts(form: forms.Form) -> list[str]:
    texts = list(form.non_field_errors())
    for name, errors in form.errors.items():
        if name != NON_FIELD_ERRORS:
            texts += [str(e) for e in errors]
    return texts
