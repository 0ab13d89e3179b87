"""What a member of staff may pick or change in the admin: the firms, units and reference data of
their own jurisdictions (petitions/access.py decides what those are); a superuser, everything.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext

from petitions import access
from petitions.models import Enterprise, OrgUnit, Petition, User


def jurisdiction_ids(user: User) -> list[int] | None:
    """The jurisdictions a user works in; None means all (superusers)."""
    if user.is_superuser:
        return None
    if user.unit_id is None:
        return []
    return access.jurisdiction_ids_under(user.unit)


def enterprises_for(user: User, qs: QuerySet[Enterprise] | None = None) -> QuerySet[Enterprise]:
    """Firms registered in the user's jurisdictions; all of them for superusers."""
    qs = Enterprise.objects.all() if qs is None else qs
    ids = jurisdiction_ids(user)
    return qs if ids is None else qs.filter(jurisdiction_id__in=ids)


def visible_petitions(user: User) -> QuerySet[Petition]:
    return Petition.objects.all() if user.is_superuser else Petition.objects.visible_to(user)


def units_within(ids: list[int]) -> QuerySet[OrgUnit]:
    """Handling units of these jurisdictions: their departments, and lower governments."""
    return OrgUnit.objects.handling_units().filter(Q(pk__in=ids) | Q(parent_id__in=ids))


class MissingIs404Mixin:
    """A row outside the user's scope (or none at all) is a 404, as on the petition pages, rather
    than the admin's redirect with "does not exist" (which would confirm the id is real elsewhere)."""

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("Not found."))
        return obj


class OwnJurisdictionChoiceMixin:
    """The `jurisdiction` picker offers only the user's own jurisdictions, so that a task force
    cannot move a firm or a rule to another city (a crafted POST fails the form's validation);
    `unit_fields` offer only the handling units of those jurisdictions.

    Plain selects for them: the autocomplete widget would search every unit."""

    unit_fields: tuple[str, ...] = ()

    def get_autocomplete_fields(self, request: HttpRequest) -> tuple[str, ...]:
        fields = tuple(super().get_autocomplete_fields(request))
        if request.user.is_superuser:
            return fields
        scoped = {"jurisdiction", *self.unit_fields}
        return tuple(name for name in fields if name not in scoped)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        ids = jurisdiction_ids(request.user)
        if ids is None or db_field.name not in ("jurisdiction", *self.unit_fields):
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in self.unit_fields:
            kwargs["queryset"] = units_within(ids)
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        kwargs["queryset"] = OrgUnit.objects.filter(pk__in=ids)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        # Only a superuser keeps the default row (no jurisdiction), which applies everywhere.
        field.required = True
        return field

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        ids = jurisdiction_ids(request.user)
        if ids is not None and db_field.name in self.unit_fields:
            kwargs["queryset"] = units_within(ids)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class JurisdictionScopedAdmin(MissingIs404Mixin, OwnJurisdictionChoiceMixin):
    """Reference data kept per jurisdiction, where a row without one is the default everywhere
    (time limits, routing, supervision policy).

    Staff see the default rows and those of their own jurisdictions, and change only the latter;
    the defaults apply to every city, and other cities' rows are theirs, so both are a superuser's.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        ids = jurisdiction_ids(request.user)
        if ids is None:
            return qs
        return qs.filter(Q(jurisdiction__isnull=True) | Q(jurisdiction_id__in=ids))

    def _may_change(self, request: HttpRequest, obj: Model | None) -> bool:
        # Rows of other jurisdictions never reach here: the queryset leaves them out.
        return obj is None or request.user.is_superuser or obj.jurisdiction_id is not None

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_change(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_change(request, obj)

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        # The list's inline editing checks the change right of the model, not of each row, so it
        # would let a crafted POST change a default row: staff edit their rows one by one instead.
        changelist = super().get_changelist_instance(request)
        if not request.user.is_superuser:
            changelist.list_editable = ()
        return changelist
