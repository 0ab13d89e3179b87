"""Response headers that keep private pages out of caches and pages under the Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (policy in settings.CONTENT_SECURITY_POLICY), except on PDFs.

    Chrome shows an inline PDF through an <embed> in a page of its own that obeys the PDF response's
    policy: `object-src 'none'` blocks the viewer and `default-src 'self'` its inline styles
    (crbug.com/271452). A PDF runs no script of ours, so the policy protects nothing there.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.get("Content-Type", "").startswith("application/pdf"):
            return response
        return super().process_response(request, response)


def private_no_store(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """`Cache-Control: no-store, private` on every response to a signed-in user and on every download.

    Pages behind the login show petitions, names and phone numbers: neither a shared proxy nor the
    browser's disk cache (a shared office computer, the back button after logging out) may keep them.
    A download is recognised by its Content-Disposition header, whoever asked for it. Static files never
    get here (WhiteNoise answers them earlier) and keep their long caching.
    """

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or response.has_header(
            "Content-Disposition"
        ):
            patch_cache_control(response, no_store=True, private=True)
        return response

    return middleware
