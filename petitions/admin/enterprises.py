"""Firms (the registry of enterprises) and their tags."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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
    # Verification is a workflow action with its record and its notice to the firm
    # (petitions/verification.py, docs/rules.md §2): here it is only shown.
    readonly_fields = (
        "is_verified",
        "verification",
        "verified_at",
        "verified_by",
        "refused_at",
        "refused_by",
        "refusal_reason",
        "invited_at",
        "invited_by",
    )

    @admin.display(description=_("how to verify"))
    def verification(self, obj: Enterprise | None) -> str:
        return format_html(
            '{} <a href="{}">{}</a>',
            gettext("Firms are verified, refused and invited by the task force in its queue:"),
            reverse("staff:verification"),
            gettext("Firms to verify"),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enterprise]:
        return enterprises_for(request.user, super().get_queryset(request))


@admin.register(EnterpriseTag)
class EnterpriseTagAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
