"""Verification pages (docs/rules.md §2; issue 12 §6): the task force's queue at
/staff/enterprises/pending/, and on the portal the activation of an invited firm and the correction
of a refused firm's details.

Each view authorises its audience (another one gets 403), fetches the firm through
`verification.firms_for` (another jurisdiction's firm is a 404), validates a form and calls one
function of petitions/verification.py through `run_action` (docs/conventions.md C5).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from petitions import ratelimit, verification
from petitions.forms.verification import ActivateForm, DetailsForm, RefuseForm, VerifyBatchForm
from petitions.models import Enterprise
from petitions.views.actions import EmptyForm, run_action
from petitions.views.portal import enterprise_account, portal_page, too_many_message
from petitions.views.staff.common import paginate, task_force_only

# Where a refusal goes on the forms (by its code); otherwise above the form.
ACTIVATE_FIELDS = {
    "wrong_code": "code",
    "expired": "code",
    "used": "code",
    "locked": "code",
    "replaced": "code",
    "username_taken": "username",
}
DETAILS_FIELDS = {"uscc_taken": "uscc", "bad_jurisdiction": "jurisdiction"}


# --- the task force's queue ------------------------------------------------------------------------


def _queue_url(tab: str = "") -> str:
    url = reverse("staff:verification")
    return f"{url}?tab={tab}" if tab in verification.TABS and tab != "pending" else url


def _firm(request: HttpRequest, pk: int) -> Enterprise:
    """A firm of the task force's jurisdictions, or 404 so that other firms do not leak."""
    return get_object_or_404(
        verification.firms_for(request.user).select_related(
            "jurisdiction", "verified_by", "refused_by", "invited_by"
        ),
        pk=pk,
    )


@require_GET
@task_force_only
def queue(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "pending")
    tab = tab if tab in verification.TABS else "pending"
    page = paginate(request, verification.queue(request.user, tab))
    context = {"page": page, "tab": tab, "counts": verification.tab_counts(request.user)}
    return render(request, "petitions/staff/verification.html", context)


def _report(request: HttpRequest, results: list[verification.Result]) -> None:
    """One message per firm of the batch, after a count of each outcome."""
    done = sum(result.ok for result in results)
    messages.info(
        request,
        _("%(done)d of %(all)d enterprises verified.") % {"done": done, "all": len(results)},
    )
    for result in results:
        (messages.success if result.ok else messages.warning)(request, result.message)


@require_POST
@task_force_only
def verify(request: HttpRequest) -> HttpResponse:
    """The ticked firms: first a confirmation page listing them, then the batch."""
    form = VerifyBatchForm(request.POST)
    back = _queue_url(request.POST.get("tab", ""))
    if form.is_valid() and not form.cleaned_data["confirmed"]:
        ids = form.cleaned_data["enterprises"]
        firms = list(
            verification.firms_for(request.user)
            .filter(pk__in=ids)
            .select_related("jurisdiction")
            .order_by("name", "pk")
        )
        context = {"ids": ids, "firms": firms, "unknown": len(ids) - len(firms), "back": back}
        return render(request, "petitions/staff/verification_confirm.html", context)
    outcome = run_action(
        request,
        form,
        lambda data: verification.verify(enterprise_ids=data["enterprises"], actor=request.user),
        success=lambda results: _report(request, results),
        redirect_to=back,
        refused_to=back,
    )
    return outcome.response


@require_http_methods(["GET", "POST"])
@task_force_only
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """One firm's details to check, with its verify button and the refusal form."""
    firm = _firm(request, pk)
    form = RefuseForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        outcome = run_action(
            request,
            form,
            lambda data: verification.refuse(
                enterprise_id=firm.pk, actor=request.user, reason=data["reason"]
            ),
            fields={"required": "reason"},
            success=_("%(name)s was refused verification; the enterprise is told why.")
            % {"name": firm.name},
            redirect_to=_queue_url(),
        )
        if outcome.response:
            return outcome.response
        status = 400
    context = {"firm": firm, "form": form, "accounts": list(firm.accounts.order_by("pk"))}
    return render(request, "petitions/staff/verification_firm.html", context, status=status)


@require_POST
@task_force_only
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    firm = _firm(request, pk)
    back = _queue_url(request.POST.get("tab", ""))
    outcome = run_action(
        request,
        EmptyForm(request.POST),
        lambda data: verification.invite(enterprise_id=firm.pk, actor=request.user),
        success=_("An activation code was sent to %(name)s.") % {"name": firm.name},
        redirect_to=back,
        refused_to=back,
    )
    return outcome.response


# --- the portal ---------------------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """An invited firm opens its account with the code it was sent (no login yet)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = ActivateForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        # Shares the sign-up budget per address: both open accounts, and this one takes codes.
        if not ratelimit.hit(request, "signup"):
            form.is_valid()
            form.add_error(None, too_many_message())
            status = 429
        else:
            outcome = run_action(
                request,
                form,
                lambda data: verification.activate(**form.activation()),
                fields=ACTIVATE_FIELDS,
            )
            if outcome.ok:
                login(request, outcome.result, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Your account is ready and your enterprise verified."))
                return redirect("portal:home")
            status = 400
    return render(request, "petitions/portal/activate.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@enterprise_account(verified=False)
def correct_details(request: HttpRequest) -> HttpResponse:
    """A firm not yet verified corrects its details; a refused one is checked again."""
    firm = request.user.enterprise
    if firm.is_verified:
        return redirect("portal:home")
    initial = {
        "uscc": firm.uscc,
        "name": firm.name,
        "jurisdiction": firm.jurisdiction_id,
        "contact_name": firm.contact_name,
        "contact_phone": str(firm.contact_phone or ""),
        "email": firm.email,
    }
    form = DetailsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        outcome = run_action(
            request,
            form,
            lambda data: verification.correct_details(
                enterprise_id=firm.pk, actor=request.user, **data
            ),
            fields=DETAILS_FIELDS,
            success=_("Your details were saved; the task force checks them again."),
            redirect_to="portal:home",
        )
        if outcome.response:
            return outcome.response
        status = 400
    context = {"form": form, "enterprise": firm}
    return portal_page(request, "petitions/portal/correct_details.html", context, status=status)
