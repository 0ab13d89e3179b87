"""The admin's "History" page for models with HistoricalRecords (petitions/history.py).

django-simple-history's own views look the object up in the history table, outside the admin's
`get_queryset`, so a jurisdiction-scoped admin would show the history of firms and accounts of other
jurisdictions; and its version page saves a POST as a "revert" for anyone who may merely view the
object (with no change right, the form has no fields and saves the old version whole). Here the
history is read-only, and only for objects the user may see in the admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """Lists who changed what and when; never reverts."""

    def revert_disabled(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A revert would bypass the workflows and the field restrictions of the change form.
        return True

    def _require_visible(self, request: HttpRequest, object_id: str) -> None:
        try:
            pk = self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404(gettext("Not found.")) from None
        # A superuser may also read the history of a deleted row; others only what they can see.
        if request.user.is_superuser:
            return
        if not self.get_queryset(request).filter(pk=pk).exists():
            raise Http404(gettext("Not found."))

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied
        if not version_id.isdigit():
            raise Http404(gettext("Not found."))
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)
