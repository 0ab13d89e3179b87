"""Firms (the registry of enterprises) and their tags."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from petitions.admin.history import HistoryAdmin
from petitions.admin.scoping import OwnJurisdictionChoiceMixin, enterprises_for
from petitions.models import (
    Enterprise,
    EnterpriseTag,
)


@admin.register(Enterprise)
class EnterpriseAdmin(OwnJurisdictionChoiceMixin, HistoryAdmin):
    list_display = ("name", "uscc", "jurisdiction", "ownership", "is_chamber", "is_verified")
    list_filter = (
        ("jurisdiction", admin.RelatedOnlyFieldListFilter),
        "ownership",
        "tags",
        "is_verified",
        "is_chamber",
    )
    search_fields = ("uscc", "name", "contact_name", "contact_phone")
    filter_horizontal = ("tags", "liaison_leaders")
    list_select_related = ("jurisdiction",)
    autocomplete_fields = ("jurisdiction",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enterprise]:
        return enterprises_for(request.user, super().get_queryset(request))


@admin.register(EnterpriseTag)
class EnterpriseTagAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
