"""Control characters out of every request before any view, form, filter or admin page reads it.

PostgreSQL refuses a NUL byte in text ("A string literal cannot contain NUL characters"), so a NUL
in any value that reaches a query was a server error. Django's `ProhibitNullCharactersValidator`
guards only `forms.CharField`; query parameters read directly (the firm picker's `q`), the
admin's list filters (`?role=%00`, a raw queryset lookup) and choice or model-choice fields never
pass through it. One middleware early in the stack covers them all:

- query, form and cookie values (and their names) lose NUL and the other C0 control characters
  and DEL; tab, line feed and carriage return stay, multi-line text carries them;
- a URL path with a control character in it cannot be cleaned without changing which page is
  asked for, so it is refused with 400 (`templates/400.html`);
- the admin's date hierarchy (`?received_at__year=9999`) computes the next year, month or day
  and overflowed past 9999, outside the try that Django keeps for bad dates: a `__year`,
  `__month` or `__day` parameter that is not a plausible calendar number is refused with 400.

Upload file names need nothing here: Django's multipart parser already drops non-printable
characters from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.utils import translation

from zqztc import dates

# C0 controls and DEL, except tab (\x09), line feed (\x0a) and carriage return (\x0d).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATE_PARTS = {
    "year": range(dates.EARLIEST.year, dates.LATEST.year + 1),
    "month": range(1, 13),
    "day": range(1, 32),
}


def clean(text: str) -> str:
    """`text` without control characters (tab, line feed and carriage return kept)."""
    return CONTROL.sub("", text)


def _dirty(data: QueryDict) -> bool:
    return any(
        CONTROL.search(key) or any(CONTROL.search(value) for value in values)
        for key, values in data.lists()
    )


def cleaned_querydict(data: QueryDict) -> QueryDict:
    """`data` itself when clean (the usual case costs one scan), else an immutable cleaned copy."""
    if not _dirty(data):
        return data
    copy = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        for value in values:
            copy.appendlist(clean(key), clean(value))
    copy._mutable = False
    return copy


def _plausible_date_parts(query: QueryDict) -> bool:
    for key, values in query.lists():
        part = key.rpartition("__")[2]
        if part in DATE_PARTS and "__" in key:
            for value in values:
                if not (value.isascii() and value.isdigit() and int(value) in DATE_PARTS[part]):
                    return False
    return True


class ControlCharactersMiddleware:
    """Strip control characters from GET, POST and cookies; refuse them in the URL path (400)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A refusal here comes before LocaleMiddleware has chosen the language: choose it now, or
        # the 400 page speaks whatever language the thread's previous request left active.
        translation.activate(translation.get_language_from_request(request))
        if CONTROL.search(request.path_info):
            # Raised, not returned, so Django's handler400 renders templates/400.html.
            raise BadRequest("Control character in the URL path.")
        request.GET = cleaned_querydict(request.GET)
        if not _plausible_date_parts(request.GET):
            raise BadRequest("A year, month or day out of range in the query string.")
        if any(CONTROL.search(k) or CONTROL.search(v) for k, v in request.COOKIES.items()):
            request.COOKIES = {clean(k): clean(v) for k, v in request.COOKIES.items()}
        if request.method == "POST":
            try:
                post = request.POST
            except UnreadablePostError as error:
                # The client went away mid-upload; without this it would be a 500.
                raise BadRequest("The request body could not be read.") from error
            request.POST = cleaned_querydict(post)
        return self.get_response(request)
