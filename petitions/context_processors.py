"""Template context every page may use; lazy, so pages that do not show it run no query."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from petitions.models import Notification


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_count": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user).unread().count()
        )
    }
