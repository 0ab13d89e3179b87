"""Notice pages: the delivery log of one petition (who was told what, by which channel, or why not)
and a person's own notice settings.

Read like a recipe (docs/conventions.md C5): authorise the audience (another audience gets 403),
fetch through `Petition.objects.visible_to` (a petition outside gets 404, docs/rules.md §8), then
show, or run one function of notices/actions.py through `run_action`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notices import actions, outbox
from notices.catalogue import KINDS, kinds_for
from notices.forms import SettingsForm
from notices.models import Channel, Delivery, OptOut, Status
from petitions.models import Petition, Role, User
from petitions.views.actions import EmptyForm, run_action

# Who may read a petition's delivery log: the staff who read the petition page, and the handlers
# of the unit that leads it or is asked to confirm it (they see the firm's notices and their own
# unit's, not what the task force or a leader was told).
STAFF_READERS = (Role.TASK_FORCE, Role.LEADER, Role.SUPERVISOR)
PER_PAGE = 50

# The status tabs: "waiting" covers rows still to send and rows a worker holds right now.
FILTERS = {
    "failed": (Status.FAILED,),
    "waiting": (Status.PENDING, Status.SENDING),
    "sent": (Status.SENT,),
    "skipped": (Status.SKIPPED,),
}
FILTER_LABELS = {
    "failed": gettext_lazy("Failed"),
    "waiting": gettext_lazy("Waiting"),
    "sent": gettext_lazy("Sent"),
    "skipped": gettext_lazy("Not sent"),
}
BADGES = {
    Status.FAILED: "text-bg-danger",
    Status.PENDING: "text-bg-warning",
    Status.SENDING: "text-bg-warning",
    Status.SENT: "text-bg-success",
    Status.SKIPPED: "text-bg-secondary",
}


def mask(channel: str, address: str) -> str:
    """An address shown for checking, not for copying: 138****8000, a***@x.cn."""
    if not address:
        return ""
    if channel == Channel.EMAIL:
        local, at, domain = address.rpartition("@")
        if at and local:
            return f"{local[:1]}***@{domain}"
        return "***"
    digits = "".join(ch for ch in address if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):  # +86 138 0013 8000
        digits = digits[2:]
    if len(digits) >= 8:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * len(digits)


def layout_for(user: User) -> str:
    if user.role == Role.ENTERPRISE:
        return "layouts/portal.html"
    if user.role == Role.HANDLER:
        return "layouts/handler.html"
    if user.role in STAFF_READERS:
        return "layouts/staff.html"
    return "layouts/base.html"


# --- the delivery log of a petition ------------------------------------------------------------


def _readable_petition(request: HttpRequest, pk: int) -> Petition:
    user = request.user
    if not (user.has_role(*STAFF_READERS, Role.HANDLER) and user.unit_id):
        raise PermissionDenied(
            _(
                "This page is for the task force, leaders, the supervision office and the handling unit."
            )
        )
    petitions = Petition.objects.visible_to(user)
    if user.role == Role.HANDLER:
        # A co-handling unit sees the petition, not who was told what about it.
        petitions = petitions.filter(
            Q(lead_unit_id=user.unit_id) | Q(proposed_unit_id=user.unit_id)
        )
    return get_object_or_404(petitions.select_related("enterprise"), pk=pk)


def _deliveries(user: User, petition: Petition) -> QuerySet[Delivery]:
    rows = Delivery.objects.filter(petition=petition)
    if user.role == Role.HANDLER:
        firm_kinds = [kind.code for kind in kinds_for("firm")]
        rows = rows.filter(Q(kind__in=firm_kinds) | Q(user__unit_id=user.unit_id))
    return rows


@dataclass(frozen=True)
class LogRow:
    delivery: Delivery
    notice: object
    recipient: str
    address: str
    badge: str
    when_label: object
    when: datetime | None
    reason: str


def _recipient(row: Delivery) -> str:
    if row.user is not None:
        name = row.user.get_full_name() or row.user.username
        place = row.enterprise or row.user.unit
        return f"{name}（{place}）" if place else name
    if row.enterprise is not None:
        return str(row.enterprise)
    return _("Nobody")


def _when(row: Delivery) -> tuple[object, datetime | None]:
    if row.status == Status.SENT:
        return _("Sent at"), row.sent_at
    if row.status == Status.PENDING:
        return _("Next attempt"), row.next_attempt_at
    return "", None


def _log_row(row: Delivery) -> LogRow:
    kind = KINDS.get(row.kind)
    when_label, when = _when(row)
    return LogRow(
        delivery=row,
        notice=kind.label if kind else row.kind,
        recipient=_recipient(row),
        address=mask(row.channel, row.address),
        badge=BADGES.get(row.status, "text-bg-light"),
        when_label=when_label,
        when=when,
        # Reasons are English msgids (gettext_noop in notices/outbox.py); a channel's own error
        # text has no translation and is shown as it came.
        reason=_(row.reason) if row.reason else "",
    )


@require_GET
def deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    petition = _readable_petition(request, pk)
    rows = _deliveries(user, petition)
    counts = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
    totals = {name: sum(counts.get(s, 0) for s in statuses) for name, statuses in FILTERS.items()}
    current = request.GET.get("status", "")
    if current in FILTERS:
        rows = rows.filter(status__in=FILTERS[current])
    else:
        current = ""
    page = Paginator(
        rows.select_related("user__unit", "enterprise").order_by("-created_at", "-pk"), PER_PAGE
    ).get_page(request.GET.get("page"))
    context = {
        "layout": layout_for(user),
        "petition": petition,
        "petition_url": reverse(
            "handler:petition" if user.role == Role.HANDLER else "staff:petition",
            args=[petition.pk],
        ),
        "page": page,
        "rows": [_log_row(row) for row in page.object_list],
        "tabs": [(name, FILTER_LABELS[name], totals[name]) for name in FILTERS],
        "current": current,
        "total": sum(counts.values()),
        "failed": totals["failed"],
        "waiting": totals["waiting"],
        "can_retry": user.role == Role.TASK_FORCE,
    }
    return render(request, "notices/deliveries.html", context)


@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """The "send again now" button of a failed delivery: the jurisdiction's task force only."""
    user = request.user
    if not (user.has_role(Role.TASK_FORCE) and user.unit_id):
        raise PermissionDenied(_("Only the task force may send a notice again."))
    delivery = get_object_or_404(
        Delivery.objects.filter(petition__in=Petition.objects.visible_to(user)), pk=pk
    )
    back = reverse("notices:deliveries", args=[delivery.petition_id])
    outcome = run_action(
        request,
        EmptyForm(request.POST),
        lambda data: actions.retry(delivery_id=delivery.pk, actor=user),
        success=_("The notice is being sent again."),
        redirect_to=back,
        refused_to=back,
    )
    return outcome.response


# --- my notice settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    label: object
    value: str
    missing: str = ""
    note: object = ""


def _addresses(user: User) -> tuple[list[Address], list[Address]]:
    """Where this person's e-mail and SMS notices go, and for a firm account the firm's registered
    contact that is told as well: both as the outbox works them out (notices/outbox.py)."""
    me, registered = outbox.person(user), None
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        for recipient in outbox.firm(user.enterprise):
            if recipient.user is None:
                registered = recipient
            elif recipient.user.pk == user.pk:
                me = recipient
    borrowed = _("the enterprise's registered contact")
    own = [
        Address(
            _("E-mail"),
            me.email,
            _("No e-mail address on record."),
            borrowed if me.email and not user.email else "",
        ),
        Address(
            _("SMS"),
            me.phone,
            _("No mobile number on record."),
            borrowed if me.phone and not user.mobile else "",
        ),
    ]
    firm = []
    if registered is not None:
        firm = [
            Address(_("E-mail"), registered.email, _("None registered")),
            Address(_("SMS"), registered.phone, _("None registered")),
        ]
    return own, firm


@require_http_methods(["GET", "POST"])
def settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    off = set(OptOut.objects.filter(user=user).values_list("kind", "channel"))
    form = SettingsForm(request.POST if request.method == "POST" else None, user=user, off=off)
    own, firm = _addresses(user)
    if request.method == "POST":
        outcome = run_action(
            request,
            form,
            lambda data: actions.set_opt_outs(actor=user, off=form.turned_off()),
            success=_("Your notice settings are saved."),
            redirect_to="notices:settings",
        )
        if outcome.response:
            return outcome.response
    return render(
        request,
        "notices/settings.html",
        {
            "layout": layout_for(user),
            "form": form,
            "rows": form.rows(),
            "channels": [(Channel.EMAIL, _("E-mail")), (Channel.SMS, _("SMS"))],
            "addresses": own,
            "firm_addresses": firm,
            "optional": any(not kind.mandatory for kind in form.kinds),
        },
        status=200 if request.method == "GET" or form.is_valid() else 400,
    )
