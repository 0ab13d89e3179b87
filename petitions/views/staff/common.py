"""What every /staff/ view shares: who may enter, how a petition is fetched, lists and errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from petitions import access, deadlines, levels
from petitions.models import Petition, PetitionQuerySet, Role, User
from petitions.selectors import staff as selectors

READERS = (Role.TASK_FORCE, Role.LEADER, Role.SUPERVISOR)
PER_PAGE = 25


def staff_only(*roles: str) -> Callable:
    """403 for everyone but these roles (default: task force, leaders, supervisors) with a unit."""
    allowed = roles or READERS

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            user = request.user
            if not (user.is_authenticated and user.has_role(*allowed) and user.unit_id):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def task_force_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return staff_only(Role.TASK_FORCE)(view)


def visible(request: HttpRequest) -> PetitionQuerySet:
    """The petitions this user may see; built once per request (the jurisdiction lookup runs once)."""
    if not hasattr(request, "_staff_visible"):
        request._staff_visible = Petition.objects.visible_to(request.user)
    return request._staff_visible


def workable(request: HttpRequest) -> PetitionQuerySet:
    """What the task force works on: its own level's cases and those of levels it stands in for;
    its districts' other cases it only reads (docs/rules.md §1). Other roles: what they see."""
    if request.user.role != Role.TASK_FORCE:
        return visible(request)
    if not hasattr(request, "_staff_workable"):
        acting = levels.acting_ids(request.user.unit)
        request._staff_workable = visible(request).filter(jurisdiction_id__in=acting)
    return request._staff_workable


def get_petition(request: HttpRequest, pk: int, *, act: bool = False) -> Petition:
    """The petition with its related rows, or 404 when it is not in the user's jurisdiction; with
    `act`, 403 when the user's task force only reads it (another level runs it)."""
    petition = get_object_or_404(selectors.petition_detail_queryset(visible(request)), pk=pk)
    if act and not access.task_force_acts_on(request.user, petition):
        raise PermissionDenied(_("Another level's task force runs this petition; you can read it."))
    return petition


def paginate(request: HttpRequest, queryset: QuerySet, today: object = None) -> Page:
    """One page of a list (a count and a page query); due badges with one calendar query."""
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    if today is not None:
        deadlines.annotate_days_left(page.object_list, today)
    return page


def leader_name(user: User) -> str:
    """How a leader is named in a message: full name, else the user name."""
    return user.get_full_name() or user.username
