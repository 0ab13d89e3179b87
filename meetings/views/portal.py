"""/meetings/portal/: a firm submits topic forms (议题表, Uxin 附件1), follows its own topics and gives
its overall evaluation (总体评价表, Uxin 附件3) of the meetings it was invited to.

A firm sees only its own topics and the meetings it was invited to: anything else is a 404; an
official gets 403 (docs/conventions.md C5).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from meetings import selectors, workflow
from meetings.forms import EvaluationForm, FirmTopicForm
from meetings.models import Meeting, MeetingEvaluation
from meetings.views.documents import TOPIC_FORM, topic_context
from petitions.pdf import pdf_response, render_pdf
from petitions.views.actions import run_action
from petitions.views.portal import enterprise_account, paginate, portal_page


def _phone(enterprise: object) -> str:
    phone = getattr(enterprise, "contact_phone", "")
    return getattr(phone, "as_national", "") or str(phone or "")


# --- topics ---------------------------------------------------------------------------------------


@require_GET
@enterprise_account()
def topic_list(request: HttpRequest) -> HttpResponse:
    """The firm's topic forms, whoever of its staff submitted them."""
    page = paginate(request, selectors.firm_topics(request.user))
    return portal_page(request, "meetings/portal/topics.html", {"page": page})


@require_http_methods(["GET", "POST"])
@enterprise_account()
def topic_new(request: HttpRequest) -> HttpResponse:
    """议题表: the number is given on submission; the enterprise and date come from the account."""
    enterprise = request.user.enterprise
    if request.method == "GET":
        form = FirmTopicForm(
            initial={"person_in_charge": enterprise.contact_name, "phone": _phone(enterprise)}
        )
    else:
        form = FirmTopicForm(request.POST)
        outcome = run_action(
            request,
            form,
            lambda data: workflow.submit_topic_by_firm(actor=request.user, **data),
            success=lambda topic: (
                _("Topic No. %(n)d submitted to the task force.") % {"n": topic.pk}
            ),
            redirect_to=lambda topic: reverse("meetings:portal_topic", args=[topic.pk]),
        )
        if outcome.response:
            return outcome.response
    context = {"form": form, "enterprise": enterprise, "today": timezone.localdate()}
    status = 400 if form.is_bound else 200
    return portal_page(request, "meetings/portal/topic_new.html", context, status=status)


def _own_topic(request: HttpRequest, pk: int) -> object:
    return get_object_or_404(
        selectors.topics_visible_to(request.user).select_related(
            "enterprise", "meeting", "item__petition", "jurisdiction"
        ),
        pk=pk,
    )


@require_GET
@enterprise_account()
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _own_topic(request, pk)
    return portal_page(request, "meetings/portal/topic.html", {"topic": topic})


@require_GET
@enterprise_account()
def topic_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _own_topic(request, pk)
    pdf = render_pdf(TOPIC_FORM, topic_context(topic), request)
    return pdf_response(pdf, f"topic-{topic.pk}.pdf", download="download" in request.GET)


# --- meetings and the overall evaluation ----------------------------------------------------------


@require_GET
@enterprise_account()
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Meetings the firm was invited to; held ones it has not yet evaluated offer the form."""
    page = paginate(request, selectors.firm_meetings(request.user))
    context = {"page": page, "held_states": selectors.HELD_STATES}
    return portal_page(request, "meetings/portal/meetings.html", context)


def _evaluate_page(
    request: HttpRequest, meeting: Meeting, form: EvaluationForm, status: int = 200
) -> HttpResponse:
    done = MeetingEvaluation.objects.filter(
        meeting=meeting, enterprise_id=request.user.enterprise_id
    ).first()
    context = {
        "meeting": meeting,
        "form": form,
        "done": done,
        "held": meeting.state in selectors.HELD_STATES,
        "enterprise": request.user.enterprise,
    }
    return portal_page(request, "meetings/portal/evaluate.html", context, status=status)


@require_http_methods(["GET", "POST"])
@enterprise_account()
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """总体评价表: an invited firm rates a meeting once it has been held."""
    meeting = get_object_or_404(
        selectors.meetings_visible_to(request.user).select_related("jurisdiction"), pk=pk
    )
    enterprise = request.user.enterprise
    if request.method == "GET":
        form = EvaluationForm(
            initial={"person_in_charge": enterprise.contact_name, "phone": _phone(enterprise)}
        )
        return _evaluate_page(request, meeting, form)
    form = EvaluationForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.evaluate(meeting_id=meeting.pk, actor=request.user, **data),
        fields={"rating_required": "rating"},
        success=_("Thank you: your evaluation is recorded."),
        redirect_to="meetings:portal_meetings",
    )
    return outcome.response or _evaluate_page(request, meeting, form, status=400)
