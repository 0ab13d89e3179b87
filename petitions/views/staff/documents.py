"""Printed documents: the transfer letter (《转办函》), the approval form (呈批表) and the archive
dossier, as HTML and PDF.

The HTML print page and the PDF come from the same template under templates/print/; each names the
same issuing body (petitions/issuer.py).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from petitions.pdf import pdf_response, render_pdf
from petitions.selectors import staff as selectors

from .common import get_petition, staff_only

LETTER = "print/transfer_letter.html"
DOSSIER = "print/dossier.html"
APPROVAL_FORM = "print/approval_form.html"


def _letter_context(request: HttpRequest, pk: int) -> dict:
    petition = get_petition(request, pk)
    if not petition.transfer_letter_no:
        raise Http404("No transfer letter has been issued for this petition.")
    return selectors.transfer_letter(petition)


@require_GET
@staff_only()
def transfer_letter(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, LETTER, _letter_context(request, pk))


@require_GET
@staff_only()
def transfer_letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _letter_context(request, pk)
    pdf = render_pdf(LETTER, context, request)
    name = f"{context['petition'].transfer_letter_no}.pdf"
    return pdf_response(pdf, name, download="download" in request.GET)


@require_GET
@staff_only()
def dossier(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, DOSSIER, selectors.dossier(get_petition(request, pk)))


@require_GET
@staff_only()
def dossier_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = selectors.dossier(get_petition(request, pk))
    pdf = render_pdf(DOSSIER, context, request)
    return pdf_response(
        pdf, f"{context['petition'].number}.pdf", download="download" in request.GET
    )


def _approval_form_context(request: HttpRequest, pk: int) -> dict:
    petition = get_petition(request, pk)
    if not petition.needs_leader_approval:
        raise Http404("This petition was never submitted for a leader's approval.")
    return selectors.approval_form(petition)


@require_GET
@staff_only()
def approval_form(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, APPROVAL_FORM, _approval_form_context(request, pk))


@require_GET
@staff_only()
def approval_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _approval_form_context(request, pk)
    pdf = render_pdf(APPROVAL_FORM, context, request)
    return pdf_response(
        pdf, f"{context['petition'].number}-approval.pdf", download="download" in request.GET
    )
