"""Printed documents as PDF: one HTML template (templates/print/) rendered by WeasyPrint.

The same template is the HTML print view, so the page and the PDF never disagree (docs/conventions.md C11).
Chinese needs a CJK font on the machine (Debian's fonts-noto-cjk; petitions/checks.py warns
when none is installed). WeasyPrint fetches nothing from outside: only data: URLs are allowed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict:
    """Documents carry their styles inline; nothing else is fetched (no files, no network)."""
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"refused to fetch {url!r} while printing")


def render_pdf(template_name: str, context: dict, request: HttpRequest | None = None) -> bytes:
    """Render a print template to PDF bytes."""
    from weasyprint import HTML  # slow to import; only the document views need it

    html = render_to_string(template_name, {**context, "for_pdf": True}, request=request)
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_refuse_fetch).write_pdf()


def pdf_response(pdf: bytes, filename: str, *, download: bool = False) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(download, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
