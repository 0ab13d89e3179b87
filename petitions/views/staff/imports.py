"""Excel imports on /staff/: upload, a preview of every row (dry run), then all or nothing."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from petitions import imports as service
from petitions.forms.staff import ImportForm

from .common import task_force_only


@require_http_methods(["GET", "POST"])
@task_force_only
def upload(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        data = form.cleaned_data["file"].read()
        try:
            report = service.preview(kind, data, request.user)
        except service.ImportFileError as e:
            form.add_error("file", str(e))
        else:
            token = service.stash(data, kind, request.user) if report.is_valid else ""
            return render(
                request,
                "petitions/staff/import_preview.html",
                {"report": report, "token": token, "file_name": form.cleaned_data["file"].name},
                status=200 if report.is_valid else 400,
            )
    return render(
        request, "petitions/staff/imports.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
@task_force_only
def confirm(request: HttpRequest) -> HttpResponse:
    """Import the previewed workbook in one transaction; nothing is kept unless every row passes.
    The stashed file is deleted either way: a workbook with errors is fixed and uploaded again."""
    try:
        kind, data = service.unstash(request.POST.get("token", ""), request.user)
        report = service.commit(kind, data, request.user)
    except service.ImportFileError as e:
        messages.error(request, str(e))
        return redirect("staff:imports")
    if not report.written:
        return render(
            request,
            "petitions/staff/import_preview.html",
            {"report": report, "token": ""},
            status=400,
        )
    counts = report.counts
    messages.success(
        request,
        _("Imported: %(new)d new, %(update)d updated, %(same)d unchanged, %(skipped)d skipped.")
        % {
            "new": counts["new"],
            "update": counts["update"],
            "same": counts["unchanged"],
            "skipped": counts["skipped"],
        },
    )
    return render(request, "petitions/staff/import_preview.html", {"report": report, "token": ""})


@require_POST
@task_force_only
def cancel(request: HttpRequest) -> HttpResponse:
    """Drop the previewed workbook: nothing is imported and the stashed file is deleted."""
    try:
        service.unstash(request.POST.get("token", ""), request.user)
    except service.ImportFileError as e:
        messages.error(request, str(e))
    else:
        messages.info(request, _("The upload was discarded; nothing was imported."))
    return redirect("staff:imports")
