"""The department handler's pages (/handle/): the inbox, the petition page and its actions.

Each action view reads like a recipe (docs/conventions.md C5): the handler-only decorator authorises (403 for
another audience), the petition is fetched through `visible_to` (404 for another unit), the form
checks the shape, one workflow function decides and records, and the view redirects. With htmx the
form is posted in place: errors come back as the form alone, success reloads the page's main area.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from petitions import workflow
from petitions.forms import handler as forms
from petitions.models import OrgUnit, Petition, Role, State
from petitions.selectors import handler as selectors
from petitions.views.actions import run_action

FINISHED_FOR_DOCUMENTS = (State.ARCHIVED, State.WITHDRAWN, State.REJECTED, State.DUPLICATE)


def handler_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Department handlers only: a firm, the task force or a leader gets 403 (wrong audience).

    Loads the unit with its parents once (the layout shows its name; filters need its jurisdiction).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.has_role(Role.HANDLER) and user.unit_id):
            raise PermissionDenied(_("These pages are for department handlers."))
        user.unit = OrgUnit.objects.select_related("parent__parent").get(pk=user.unit_id)
        return view(request, *args, **kwargs)

    return wrapper


# --- inbox ------------------------------------------------------------------------------------


@require_GET
@handler_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The unit's petitions in tabs, with counts, filters, search and pages of 25."""
    unit = request.user.unit
    filterset = forms.InboxFilter(
        request.GET or None, queryset=Petition.objects.all(), request=request
    )
    narrow = filterset.qs if filterset.is_valid() and filterset.is_active else None
    data = selectors.inbox(
        unit,
        tab=request.GET.get("tab", selectors.DEFAULT_TAB),
        today=timezone.localdate(),
        narrow=narrow,
        page_number=request.GET.get("page") or 1,
    )
    return render(
        request,
        "petitions/handler/inbox.html",
        {"inbox": data, "filter": filterset, "unit": unit},
    )


# --- the petition page ------------------------------------------------------------------------


@dataclass
class Action:
    """One action card: its form and where it posts."""

    name: str
    title: str
    submit: str
    form: object
    url: str
    multipart: bool = False
    button_css: str = "btn-primary"

    @property
    def info_template(self) -> str:
        return f"petitions/handler/_info_{self.name}.html"


ACTION_LABELS = {
    "confirm": (gettext_lazy("Confirm receipt"), gettext_lazy("Confirm receipt")),
    "return": (gettext_lazy("Return to the task force"), gettext_lazy("Return")),
    "contact": (
        gettext_lazy("Contact with the enterprise"),
        gettext_lazy("Record contact"),
    ),
    "progress": (
        gettext_lazy("Weekly progress report"),
        gettext_lazy("Report progress"),
    ),
    "extension": (gettext_lazy("Extension"), gettext_lazy("Request an extension")),
    "opinion": (
        gettext_lazy("Opinion to the lead unit"),
        gettext_lazy("Submit opinion"),
    ),
    "reply": (gettext_lazy("Reply to the enterprise"), gettext_lazy("Submit reply")),
    "documents": (gettext_lazy("Upload documents"), gettext_lazy("Upload")),
}


def available_actions(page: selectors.PetitionPage) -> list[str]:
    """What this unit can do now, most pressing first (a hint for the page; the workflow decides)."""
    state = page.petition.state
    names = []
    if page.is_proposed:
        names += ["confirm", "return"]
    if page.is_lead and state == State.ASSIGNED:
        names += ["contact", "progress", "extension"]
    if page.is_lead and state == State.IN_PROGRESS:
        names += ["reply", "progress", "extension", "contact"]
    if page.is_co and page.in_handling:
        names.append("opinion")
    if (page.is_lead or page.is_co) and state not in FINISHED_FOR_DOCUMENTS:
        names.append("documents")
    return names


def action_form(name: str, request: HttpRequest, *, bound: bool = False) -> object:
    """The action's form, prefixed with its name so that several forms share one page."""
    args = (request.POST, request.FILES) if bound else ()
    kwargs = {"unit": request.user.unit} if name == "return" else {}
    return ACTION_FORMS[name](*args, prefix=name, **kwargs)


ACTION_FORMS = {
    "confirm": forms.ConfirmForm,
    "return": forms.ReturnForm,
    "contact": forms.ContactForm,
    "progress": forms.ProgressForm,
    "extension": forms.ExtensionForm,
    "opinion": forms.OpinionForm,
    "reply": forms.ReplyForm,
    "documents": forms.DocumentForm,
}


def make_action(name: str, petition: Petition, form: object) -> Action:
    title, submit = ACTION_LABELS[name]
    return Action(
        name=name,
        title=title,
        submit=submit,
        form=form,
        url=reverse(f"handler:{name}", args=[petition.pk]),
        multipart=name == "documents",
        button_css="btn-outline-danger" if name == "return" else "btn-primary",
    )


def render_petition(
    request: HttpRequest, petition: Petition, bound: tuple[str, object] | None = None
) -> HttpResponse:
    page = selectors.petition_page(petition, request.user, timezone.localdate())
    actions = []
    for name in available_actions(page):
        form = bound[1] if bound and bound[0] == name else action_form(name, request)
        actions.append(make_action(name, petition, form))
    if bound and bound[0] not in {a.name for a in actions}:
        actions.append(make_action(bound[0], petition, bound[1]))
    return render(
        request,
        "petitions/handler/petition.html",
        {"page": page, "petition": petition, "actions": actions},
    )


def fetch(request: HttpRequest, pk: int) -> Petition:
    """Through `visible_to`: a petition of another unit is 404, so its existence does not leak."""
    return get_object_or_404(selectors.petition_for(request.user), pk=pk)


@require_GET
@handler_required
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_petition(request, fetch(request, pk))


# --- actions ----------------------------------------------------------------------------------

# Success reloads the page's main area in place (htmx); see `run_action`.
MAIN_AREA = {"target": "#main", "select": "#main", "swap": "outerHTML"}


def redisplay(request: HttpRequest, petition: Petition, name: str, form: object) -> HttpResponse:
    """Errors: the form again with the typed values; with htmx only the form, swapped in place."""
    if request.htmx:
        return render(
            request,
            "petitions/handler/_action_form.html",
            {"action": make_action(name, petition, form), "petition": petition},
        )
    return render_petition(request, petition, bound=(name, form))


def _action(
    name: str, run: Callable[..., object], fields: dict[str, str], message: str
) -> Callable[[HttpRequest, int], HttpResponse]:
    """The view of one action card: GET shows the card; POST runs one workflow function on the form.

    `fields` maps a WorkflowError code to the form field it belongs next to.
    """

    @require_http_methods(["GET", "POST"])
    @handler_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        petition = fetch(request, pk)
        url = reverse("handler:petition", args=[petition.pk])
        if request.method == "GET":
            return redirect(f"{url}#action-{name}")
        form = action_form(name, request, bound=True)
        outcome = run_action(
            request,
            form,
            lambda data: run(petition_id=petition.pk, actor=request.user, **data),
            fields=fields,
            success=message,
            redirect_to=url,
            htmx=MAIN_AREA,
        )
        return outcome.response or redisplay(request, petition, name, form)

    view.__name__ = view.__qualname__ = name
    return view


confirm = _action(
    "confirm",
    workflow.confirm,
    {},
    gettext_lazy("Receipt confirmed. The task force issues the transfer letter next."),
)
return_petition = _action(
    "return",
    workflow.return_petition,
    {"reason_required": "reason_code", "required": "reason"},
    gettext_lazy("Returned to the task force, which reviews the return."),
)
record_contact = _action(
    "contact",
    workflow.record_contact,
    {"future": "contacted_at", "method_required": "method", "required": "summary"},
    gettext_lazy("Contact recorded."),
)
report_progress = _action(
    "progress", workflow.report_progress, {"required": "text"}, gettext_lazy("Progress reported.")
)
request_extension = _action(
    "extension",
    workflow.request_extension,
    {"required": "reason", "bad_amount": "amount"},
    gettext_lazy("Extension requested. The task force decides."),
)
submit_opinion = _action(
    "opinion",
    workflow.submit_opinion,
    {"required": "text"},
    gettext_lazy("Opinion sent to the lead unit."),
)
reply = _action(
    "reply",
    workflow.reply,
    {"required": "text"},
    gettext_lazy("Reply sent to the enterprise and the task force."),
)
upload_documents = _action(
    "documents", workflow.add_material, {}, gettext_lazy("Documents uploaded.")
)
