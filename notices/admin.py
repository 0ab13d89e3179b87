"""Delivery records in the admin: read-only, for superusers (docs/conventions.md C10).

The task force reads a petition's notices on its delivery log page (/notices/petitions/<id>/deliveries/)
and sends a failed one again there. Here a superuser sees every delivery, petition or not (daily
digests, invitations), and may send failed ones again through the same function. Turned-off notices
(`OptOut`) are a person's own choice, changed on their settings page, and are not shown here.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from notices import actions
from notices.catalogue import KINDS
from notices.models import Delivery
from petitions.admin.actions import run_each
from petitions.admin.scoping import MissingIs404Mixin


def _label(delivery: Delivery) -> str:
    return delivery.petition.number if delivery.petition_id else delivery.key


@admin.register(Delivery)
class DeliveryAdmin(MissingIs404Mixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "notice",
        "channel",
        "recipient",
        "address",
        "status",
        "attempts",
        "sent_at",
        "next_attempt_at",
        "reason",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("key", "address")
    list_select_related = ("user", "enterprise", "petition")
    raw_id_fields = ("user", "enterprise", "petition", "event")
    actions = ["send_again"]
    date_hierarchy = "created_at"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.display(description=_("notice"), ordering="kind")
    def notice(self, obj: Delivery) -> str:
        kind = KINDS.get(obj.kind)
        return str(kind.label) if kind else obj.kind

    @admin.display(description=_("recipient"))
    def recipient(self, obj: Delivery) -> str:
        return str(obj.user or obj.enterprise or "—")

    @admin.action(
        description=_("Send the selected failed notices again now"), permissions=["retry"]
    )
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        run_each(
            self,
            request,
            queryset.select_related("petition"),
            run=lambda delivery, actor, data: actions.retry(delivery_id=delivery.pk, actor=actor),
            data={},
            description=str(_("Send again")),
            label=_label,
        )
