"""Printed meeting documents, each as an HTML print page and a PDF from the same template (docs/conventions.md C11):

- the issue catalogue 问题目录 leaders work from (Heyuan 四(二)–(三)), A4 landscape;
- 《企业诉求事项处理意见》, the leader's decisions compiled after the meeting (Heyuan 四(六));
- the forms of Uxin 附件1–3: 议题表 (per topic), 议题办理情况表 (per item), 总体评价表 (per meeting).

Readers: the task force, leaders and the supervision office of the jurisdiction; others get 403,
staff of another jurisdiction 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from meetings import selectors
from meetings.models import Meeting, MeetingState
from petitions.pdf import pdf_response, render_pdf
from petitions.views.staff.common import staff_only

CATALOGUE = "print/meetings/catalogue.html"
OPINIONS = "print/meetings/opinions.html"
TOPIC_FORM = "print/meetings/topic_form.html"
HANDLING = "print/meetings/handling_form.html"
EVALUATIONS = "print/meetings/evaluations.html"


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    visible = selectors.meetings_visible_to(request.user)
    return get_object_or_404(selectors.meeting_detail(visible), pk=pk)


def _document(
    request: HttpRequest, template: str, context: dict, *, pdf: bool, filename: str
) -> HttpResponse:
    if pdf:
        return pdf_response(
            render_pdf(template, context, request), filename, download="download" in request.GET
        )
    return render(request, template, context)


def _links(name: str, pk: int, back: str) -> dict:
    return {"pdf_url": reverse(f"meetings:{name}_pdf", args=[pk]), "back_url": back}


# --- the issue catalogue ---------------------------------------------------------------------------


def _catalogue(request: HttpRequest, pk: int, *, pdf: bool) -> HttpResponse:
    meeting = _meeting(request, pk)
    if meeting.state == MeetingState.PLANNING:
        raise Http404("The catalogue has not been drafted yet.")
    context = {
        "meeting": meeting,
        "items": selectors.catalogue_items(meeting),
        "printed_at": timezone.localtime(),
        **_links("catalogue", pk, reverse("meetings:meeting", args=[pk])),
    }
    return _document(request, CATALOGUE, context, pdf=pdf, filename=f"catalogue-{pk}.pdf")


@require_GET
@staff_only()
def catalogue(request: HttpRequest, pk: int) -> HttpResponse:
    return _catalogue(request, pk, pdf=False)


@require_GET
@staff_only()
def catalogue_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _catalogue(request, pk, pdf=True)


# --- 《企业诉求事项处理意见》 ------------------------------------------------------------------------------


def _opinions(request: HttpRequest, pk: int, *, pdf: bool) -> HttpResponse:
    meeting = _meeting(request, pk)
    if meeting.state not in selectors.HELD_STATES:
        raise Http404("The meeting has not been held yet.")
    context = {
        "meeting": meeting,
        "items": selectors.catalogue_items(meeting),
        "printed_at": timezone.localtime(),
        **_links("opinions", pk, reverse("meetings:decisions", args=[pk])),
    }
    return _document(request, OPINIONS, context, pdf=pdf, filename=f"opinions-{pk}.pdf")


@require_GET
@staff_only()
def opinions(request: HttpRequest, pk: int) -> HttpResponse:
    return _opinions(request, pk, pdf=False)


@require_GET
@staff_only()
def opinions_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _opinions(request, pk, pdf=True)


# --- 议题表 (Uxin 附件1) ----------------------------------------------------------------------------


def topic_context(topic: object) -> dict:
    return {"topic": topic, "printed_at": timezone.localtime()}


def _topic_form(request: HttpRequest, pk: int, *, pdf: bool) -> HttpResponse:
    topic = get_object_or_404(
        selectors.topics_visible_to(request.user).select_related(
            "enterprise", "meeting", "channel_unit", "jurisdiction"
        ),
        pk=pk,
    )
    back = (
        reverse("meetings:topics", args=[topic.meeting_id])
        if topic.meeting_id
        else reverse("meetings:list")
    )
    context = {**topic_context(topic), **_links("topic_form", pk, back)}
    return _document(request, TOPIC_FORM, context, pdf=pdf, filename=f"topic-{pk}.pdf")


@require_GET
@staff_only()
def topic_form(request: HttpRequest, pk: int) -> HttpResponse:
    return _topic_form(request, pk, pdf=False)


@require_GET
@staff_only()
def topic_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _topic_form(request, pk, pdf=True)


# --- 议题办理情况表 (Uxin 附件2) ---------------------------------------------------------------------


def _handling_item(request: HttpRequest, pk: int, *, pdf: bool) -> HttpResponse:
    items = selectors.handling_items(selectors.items_visible_to(request.user).filter(pk=pk))
    if not items:
        raise Http404("No such catalogue item.")
    item = items[0]
    context = {
        "meeting": item.meeting,
        "forms": selectors.handling_forms(items, timezone.localdate()),
        "printed_at": timezone.localtime(),
        **_links("handling_form", pk, reverse("meetings:meeting", args=[item.meeting_id])),
    }
    return _document(request, HANDLING, context, pdf=pdf, filename=f"handling-item-{pk}.pdf")


@require_GET
@staff_only()
def handling_form(request: HttpRequest, pk: int) -> HttpResponse:
    return _handling_item(request, pk, pdf=False)


@require_GET
@staff_only()
def handling_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _handling_item(request, pk, pdf=True)


def _handling_meeting(request: HttpRequest, pk: int, *, pdf: bool) -> HttpResponse:
    meeting = _meeting(request, pk)
    if meeting.state == MeetingState.PLANNING:
        raise Http404("The catalogue has not been drafted yet.")
    items = selectors.handling_items(meeting.items.all())
    context = {
        "meeting": meeting,
        "forms": selectors.handling_forms(items, timezone.localdate()),
        "printed_at": timezone.localtime(),
        **_links("handling_forms", pk, reverse("meetings:meeting", args=[pk])),
    }
    return _document(request, HANDLING, context, pdf=pdf, filename=f"handling-{pk}.pdf")


@require_GET
@staff_only()
def handling_forms(request: HttpRequest, pk: int) -> HttpResponse:
    return _handling_meeting(request, pk, pdf=False)


@require_GET
@staff_only()
def handling_forms_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _handling_meeting(request, pk, pdf=True)


# --- 总体评价表 (Uxin 附件3) ------------------------------------------------------------------------


def _evaluations(request: HttpRequest, pk: int, *, pdf: bool) -> HttpResponse:
    meeting = _meeting(request, pk)
    context = {
        "meeting": meeting,
        "evaluations": selectors.evaluations(meeting),
        "printed_at": timezone.localtime(),
        **_links("evaluations", pk, reverse("meetings:meeting", args=[pk])),
    }
    return _document(request, EVALUATIONS, context, pdf=pdf, filename=f"evaluations-{pk}.pdf")


@require_GET
@staff_only()
def evaluations(request: HttpRequest, pk: int) -> HttpResponse:
    return _evaluations(request, pk, pdf=False)


@require_GET
@staff_only()
def evaluations_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _evaluations(request, pk, pdf=True)
