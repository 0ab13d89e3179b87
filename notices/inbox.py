"""Officials' in-app notices: the list, opening one, marking all read (firms have theirs on the
portal, petitions/views/portal.py). The in-app channel of docs/notices.md for every role."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from notices.views import layout_for
from petitions.models import Notification, Role

PER_PAGE = 30


def _firm_goes_to_portal(request: HttpRequest) -> HttpResponse | None:
    if request.user.role == Role.ENTERPRISE:
        return redirect("portal:notifications")
    return None


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    elsewhere = _firm_goes_to_portal(request)
    if elsewhere is not None:
        return elsewhere
    notices = Notification.objects.filter(user=request.user).order_by("-created_at", "-pk")
    page = Paginator(notices, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notices/inbox.html", {"page": page, "layout": layout_for(request.user)})


@require_GET
@login_required
def open_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notice marks it read and follows its link, only to this site."""
    notice = get_object_or_404(Notification, pk=pk, user=request.user)
    if notice.read_at is None:
        Notification.objects.filter(pk=notice.pk).update(read_at=timezone.now())
    if notice.link and url_has_allowed_host_and_scheme(
        notice.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notice.link)
    return redirect("notices:inbox")


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user).unread().update(read_at=timezone.now())
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notices:inbox")
