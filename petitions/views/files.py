"""Attachments are served only to people who may see the petition (docs/rules.md §8), never from a public URL."""

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from petitions.models import Attachment, Petition, Role


@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    visible = Petition.objects.visible_to(request.user).values("pk")
    queryset = Attachment.objects.filter(petition__in=visible)
    if request.user.role == Role.ENTERPRISE:
        queryset = queryset.filter(visible_to_firm=True)
    item = get_object_or_404(queryset, pk=pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=item.content_type, as_attachment=True, filename=item.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Kept out of every cache whatever the middleware does (zqztc/middleware.py).
    response["Cache-Control"] = "no-store, private"
    return response
