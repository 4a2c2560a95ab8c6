"""Requests no view should see."""

from __future__ import annotations

from django.shortcuts import render


class RejectNulBytesMiddleware:
    """A NUL character in the address or the query string is refused with a 400 page.

    No page takes one, and PostgreSQL cannot store or even compare text containing
    it: a lookup such as /receipts/%00/ would otherwise end in a database error (a
    500) instead of a clear answer. Form fields refuse NUL themselves (Django's
    ProhibitNullCharactersValidator); this covers what views read from the URL.
    Placed after the locale middleware, so the page is in the visitor's language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return render(request, "400.html", status=400)
        return self.get_response(request)
