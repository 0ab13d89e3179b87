"""The start page sends each person to the screen of their audience (docs/rules.md §1)."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.views.decorators.http import require_GET

from petitions.models import Role

START_PAGES = {
    Role.ENTERPRISE: "portal:home",
    Role.HANDLER: "handler:inbox",
    Role.TASK_FORCE: "staff:home",
    Role.LEADER: "staff:home",
    Role.SUPERVISOR: "staff:home",
}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    target = START_PAGES.get(user.role)
    if target:
        try:
            return redirect(target)
        except NoReverseMatch:
            pass  # that audience's pages are not installed
    if user.is_staff:
        return redirect("admin:index")
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "petitions/no_role.html", status=403)
