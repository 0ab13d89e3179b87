"""The enterprise portal (docs/rules.md §1 enterprise; §3 intake; §4.10 evaluation; §8 confidentiality).

Every view: authorise (an enterprise account, verified by the task force) → fetch through
`Petition.objects.visible_to` (another firm's petition is a 404) → validate the form → call one
workflow function → redirect (docs/conventions.md C5).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from petitions import deadlines, ratelimit, similar, verification, workflow
from petitions.forms.portal import (
    EvaluateForm,
    MaterialForm,
    SignupForm,
    SimilarQueryForm,
    SubmitForm,
    WithdrawForm,
    already_registered_message,
)
from petitions.models import (
    Channel,
    Enterprise,
    Notification,
    Petition,
    Rating,
    ReplyKind,
    Role,
    State,
    Step,
    User,
)
from petitions.views.actions import run_action

PER_PAGE = 20
FINISHED = (State.ARCHIVED, State.WITHDRAWN, State.REJECTED, State.DUPLICATE)


def too_many_message() -> str:
    return _(
        "Too many submissions in the last hour from this account or network. "
        "Nothing was saved; please try again later."
    )


# --- helpers ---------------------------------------------------------------------------------


def portal_page(
    request: HttpRequest, template: str, context: dict | None = None, status: int = 200
) -> HttpResponse:
    """Render a portal page with the unread count the navigation shows (one query)."""
    context = dict(context or {})
    context["unread_count"] = Notification.objects.filter(user=request.user).unread().count()
    return render(request, template, context, status=status)


def enterprise_account(*, verified: bool = True) -> Callable:
    """Only enterprise accounts (else 403); until the task force verifies the firm, only the
    pending page (docs/rules.md §2: the registry is checked before a firm may petition)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            user = request.user
            if not user.has_role(Role.ENTERPRISE) or user.enterprise_id is None:
                raise PermissionDenied(_("The portal is for enterprise accounts."))
            if verified and not user.enterprise.is_verified:
                return pending_page(request, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def pending_page(request: HttpRequest, status: int = 200) -> HttpResponse:
    enterprise = request.user.enterprise
    context = {
        "enterprise": enterprise,
        "task_force_phone": verification.task_force_phone(enterprise),
    }
    return portal_page(request, "petitions/portal/pending.html", context, status=status)


def own_petition(request: HttpRequest, pk: int) -> Petition:
    """The firm's own petition, or 404 so that another firm's numbers do not leak (docs/rules.md §8)."""
    return get_object_or_404(
        Petition.objects.visible_to(request.user).select_related(
            "theme", "lead_unit", "jurisdiction"
        ),
        pk=pk,
    )


def paginate(request: HttpRequest, queryset: QuerySet) -> Page:
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _posted(request: HttpRequest) -> QueryDict | None:
    """The POST data, even when empty (`request.POST or None` would leave an empty form unbound)."""
    return request.POST if request.method == "POST" else None


def _files_sent(request: HttpRequest) -> bool:
    return bool(request.FILES.getlist("attachments"))


# Where a workflow refusal goes on the portal's forms (by its code); otherwise above the form.
FIELDS = {"too_many": "attachments", "comment_required": "comment"}


# --- account (docs/rules.md §2) -------------------------------------------------------------------------


@transaction.atomic
def open_account(*, data: dict) -> User:
    """Create the enterprise (not yet verified) and its first account from a valid SignupForm.

    Not a petition workflow: nothing about a petition changes. The task force verifies the firm
    from its queue (petitions/verification.py); until then the account sees only the pending page.
    """
    enterprise = Enterprise.objects.create(
        uscc=data["uscc"],
        name=data["name"].strip(),
        contact_name=data["contact_name"].strip(),
        contact_phone=data["mobile"],
        email=data["email"],
        jurisdiction=data["jurisdiction"],
        is_verified=False,
    )
    return User.objects.create_user(
        username=data["username"],
        email=data["email"],
        password=data["password1"],
        first_name=data["contact_name"].strip(),
        role=Role.ENTERPRISE,
        enterprise=enterprise,
        mobile=data["mobile"],
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(_posted(request))
    status = 200
    if request.method == "POST":
        # Every attempt counts, so the form cannot be used to probe many credit codes.
        if not ratelimit.hit(request, "signup"):
            form.is_valid()
            form.add_error(None, too_many_message())
            status = 429
        elif form.is_valid():
            try:
                user = open_account(data=form.cleaned_data)
            except IntegrityError:  # the same code or name registered a moment ago
                form.add_error("uscc", already_registered_message())
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Your account was created."))
                return redirect("portal:home")
        if status == 200:
            status = 400 if form.errors else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


@require_GET
@enterprise_account(verified=False)
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.enterprise.is_verified:
        return pending_page(request)
    return redirect("portal:petitions")


# --- my petitions (docs/rules.md §4) -------------------------------------------------------------------


@require_GET
@enterprise_account()
def petition_list(request: HttpRequest) -> HttpResponse:
    petitions = (
        Petition.objects.visible_to(request.user)
        .select_related("theme")
        .only(
            "pk",
            "number",
            "title",
            "type",
            "state",
            "received_at",
            "due_on",
            "due_step",
            "theme__name",
        )
        .order_by("-received_at", "-pk")
    )
    page = paginate(request, petitions)
    deadlines.annotate_days_left(page.object_list, timezone.localdate())
    return portal_page(request, "petitions/portal/petitions.html", {"page": page})


def _submit_page(
    request: HttpRequest, form: SubmitForm, matches: list, status: int = 200
) -> HttpResponse:
    chosen = form["merge_into"].value() if form.is_bound else None
    # Once the look-alikes are on the page the firm has seen them: no second offer on submit.
    context = {
        "form": form,
        "matches": matches,
        "chosen": str(chosen or ""),
        "checked": bool(matches),
    }
    return portal_page(request, "petitions/portal/submit.html", context, status=status)


def _matches_for(request: HttpRequest, title: str, content: str) -> list[similar.Match]:
    return similar.similar_open_petitions(
        enterprise_id=request.user.enterprise_id, title=title, content=content
    )


@require_http_methods(["GET", "POST"])
@enterprise_account()
def submit(request: HttpRequest) -> HttpResponse:
    """A new petition, or its text and files added to one of the firm's open look-alikes (并单).

    The look-alikes are offered while the firm types (htmx, `similar` below) so that the final
    POST carries the files once. Without JavaScript the server offers them instead, and the firm
    chooses the files again.
    """
    user = request.user
    if request.method == "GET":
        return _submit_page(request, SubmitForm(enterprise=user.enterprise), [])
    form = SubmitForm(request.POST, request.FILES, enterprise=user.enterprise)
    matches = _matches_for(request, request.POST.get("title", ""), request.POST.get("content", ""))
    files_sent = _files_sent(request)
    if not form.is_valid():
        form.ask_for_files_again(files_sent)
        return _submit_page(request, form, matches, status=400)
    data = form.cleaned_data
    if matches and not data["merge_into"] and not data["similar_checked"]:
        # The offer was not seen (no JavaScript, or typed too fast): show it before saving.
        form.add_error(
            None,
            _(
                "Your enterprise has open petitions that look alike. Choose below, then submit again."
            ),
        )
        form.ask_for_files_again(files_sent)
        return _submit_page(request, form, matches)
    if not ratelimit.hit(request, "submit"):
        form.add_error(None, too_many_message())
        form.ask_for_files_again(files_sent)
        return _submit_page(request, form, matches, status=429)
    if data["merge_into"]:
        message = _("Added to %(number)s as supplementary material.")
    else:
        message = _("Submitted as %(number)s. The task force will review it.")
    outcome = run_action(
        request,
        form,
        lambda data: _submit(user, data),
        fields=FIELDS,
        success=lambda petition: message % {"number": petition.number},
        redirect_to=lambda petition: reverse("portal:petition", args=[petition.pk]),
    )
    if outcome.response:
        return outcome.response
    form.ask_for_files_again(files_sent)
    return _submit_page(request, form, matches, status=400)


def _submit(user: User, data: dict) -> Petition:
    target = data["merge_into"]
    if target:
        note = "\n".join(
            t
            for t in (
                data["title"],
                data["content"],
                f"{_('What you ask for')}：{data['request']}",
            )
            if t
        )
        workflow.add_material(
            petition_id=target.pk, actor=user, files=data["attachments"], note=note
        )
        return target
    # Registering and attaching are one submission: both or neither.
    with transaction.atomic():
        petition = workflow.register(
            actor=user,
            enterprise=user.enterprise,
            channel=Channel.PORTAL,
            type=data["type"],
            title=data["title"],
            content=data["content"],
            request=data["request"],
            theme_id=data["theme"].pk if data["theme"] else None,
            publication_consent=data["publication_consent"],
        )
        if data["attachments"]:
            workflow.add_material(petition_id=petition.pk, actor=user, files=data["attachments"])
    return petition


@require_POST
@enterprise_account()
def similar_panel(request: HttpRequest) -> HttpResponse:
    """htmx: the firm's open petitions that look like what it is typing."""
    query = SimilarQueryForm(request.POST)
    query.is_valid()
    title = query.cleaned_data.get("title", "")
    content = query.cleaned_data.get("content", "")
    matches = _matches_for(request, title, content)
    context = {"matches": matches, "chosen": request.POST.get("merge_into", ""), "checked": True}
    return render(request, "petitions/portal/_similar.html", context)


@require_GET
@enterprise_account()
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    petition = own_petition(request, pk)
    # Opening a petition reads its notices.
    Notification.objects.filter(user=request.user, petition=petition).unread().update(
        read_at=timezone.now()
    )
    reply_due = deadlines.open_deadline(petition, Step.REPLY)
    if reply_due is not None:
        deadlines.annotate_days_left([reply_due], timezone.localdate())
    context = {
        "petition": petition,
        # Only what the firm may see: its timeline, replies to it, files shown to it (docs/rules.md §8).
        "events": petition.events.filter(visible_to_firm=True),
        "replies": petition.replies.filter(kind=ReplyKind.REPLY).select_related("unit"),
        "attachments": petition.attachments.filter(visible_to_firm=True),
        "evaluations": petition.evaluations.all(),
        "reply_due": reply_due,
        "assigned": petition.transfer_letter_issued_at is not None,
        "can_withdraw": petition.state == State.REGISTERED,
        "can_add": petition.state not in FINISHED,
        "can_evaluate": petition.state == State.REPLIED,
        "rehandling": petition.state == State.IN_PROGRESS and petition.rehandle_count > 0,
        "evaluate_form": EvaluateForm(),
    }
    return portal_page(request, "petitions/portal/detail.html", context)


@require_http_methods(["GET", "POST"])
@enterprise_account()
def add_material(request: HttpRequest, pk: int) -> HttpResponse:
    petition = own_petition(request, pk)
    already = petition.attachments.filter(unit__isnull=True).count()
    form = MaterialForm(_posted(request), request.FILES or None, already_attached=already)
    status = 200
    if request.method == "POST":
        if form.is_valid() and not ratelimit.hit(request, "submit"):
            form.add_error(None, too_many_message())
            status = 429
        else:
            outcome = run_action(
                request,
                form,
                lambda data: workflow.add_material(
                    petition_id=petition.pk,
                    actor=request.user,
                    files=data["attachments"],
                    note=data["note"],
                ),
                fields=FIELDS,
                success=_("Your supplementary material was added."),
                redirect_to=reverse("portal:petition", args=[petition.pk]),
            )
            if outcome.response:
                return outcome.response
            status = 400
        form.ask_for_files_again(_files_sent(request))
    context = {"petition": petition, "form": form}
    return portal_page(request, "petitions/portal/material.html", context, status=status)


@require_http_methods(["GET", "POST"])
@enterprise_account()
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    petition = own_petition(request, pk)
    form = WithdrawForm(_posted(request))
    if request.method == "POST":
        outcome = run_action(
            request,
            form,
            lambda data: workflow.withdraw(
                petition_id=petition.pk, actor=request.user, note=data["note"]
            ),
            fields=FIELDS,
            success=_("The petition was withdrawn."),
            redirect_to=reverse("portal:petition", args=[petition.pk]),
        )
        if outcome.response:
            return outcome.response
    status = 400 if form.errors else 200
    context = {"petition": petition, "form": form}
    return portal_page(request, "petitions/portal/withdraw.html", context, status=status)


@require_http_methods(["GET", "POST"])
@enterprise_account()
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    petition = own_petition(request, pk)
    form = EvaluateForm(_posted(request))
    if request.method == "POST":
        outcome = run_action(
            request,
            form,
            lambda data: workflow.evaluate(
                petition_id=petition.pk,
                actor=request.user,
                rating=data["rating"],
                comment=data["comment"],
            ),
            fields=FIELDS,
            success=lambda _petition: _thanks(request, form.cleaned_data["rating"]),
            redirect_to=reverse("portal:petition", args=[petition.pk]),
        )
        if outcome.response:
            return outcome.response
    status = 400 if form.errors else 200
    context = {"petition": petition, "form": form}
    return portal_page(request, "petitions/portal/evaluate.html", context, status=status)


def _thanks(request: HttpRequest, rating: str) -> str | None:
    """An unsatisfied rating reopens the case: a warning says so instead of the plain thanks."""
    if rating == Rating.UNSATISFIED:
        messages.warning(
            request,
            _(
                "Thank you. Your petition goes back to the lead unit to be handled again; "
                "you will be notified of the new reply."
            ),
        )
        return None
    return _("Thank you for your evaluation.")


# --- notifications (docs/rules.md §10) ---------------------------------------------------------------


@require_GET
@enterprise_account()
def notification_list(request: HttpRequest) -> HttpResponse:
    notices = Notification.objects.filter(user=request.user).order_by("-created_at", "-pk")
    page = paginate(request, notices)
    return portal_page(request, "petitions/portal/notifications.html", {"page": page})


@require_GET
@enterprise_account()
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notice marks it read and follows its link (only to this site)."""
    notice = get_object_or_404(Notification, pk=pk, user=request.user)
    if notice.read_at is None:
        Notification.objects.filter(pk=notice.pk).update(read_at=timezone.now())
    if notice.link and url_has_allowed_host_and_scheme(
        notice.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notice.link)
    if notice.petition_id:
        return redirect("portal:petition", pk=notice.petition_id)
    return redirect("portal:notifications")


@require_POST
@enterprise_account()
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user).unread().update(read_at=timezone.now())
    messages.success(request, _("All notifications are marked as read."))
    return redirect("portal:notifications")
