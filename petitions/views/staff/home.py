"""The start page of /staff/: how much waits in each queue."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from petitions import verification
from petitions.models import Role
from petitions.selectors import staff as selectors

from .common import staff_only, workable


@require_GET
@staff_only()
def home(request: HttpRequest) -> HttpResponse:
    petitions = workable(request)
    context = {
        "counts": selectors.counts(petitions, timezone.localdate()),  # one aggregate query
        "extensions": selectors.pending_extensions(petitions).count()
        if request.user.role == Role.TASK_FORCE
        else 0,
        "my_approvals": selectors.approval_queue(petitions, request.user).count()
        if request.user.role == Role.LEADER
        else 0,
        "to_verify": verification.awaiting_count(request.user)
        if request.user.role == Role.TASK_FORCE
        else 0,
    }
    return render(request, "petitions/staff/home.html", context)
