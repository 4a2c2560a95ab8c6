"""Requests no view should see."""

from __future__ import annotations

import re
import uuid

from django.shortcuts import render

from config.log_filters import request_id_var


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


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    """Every request gets an id that its log lines carry (config/log_filters.RequestId)
    and that the response sends back as X-Request-ID: nginx's own ($request_id, passed
    as X-Request-ID, so that its access log and ours share it) when it looks like one,
    else a new one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class NoStoreForStaffMiddleware:
    """The console and the admin show what only staff may see: no browser or proxy may
    keep a copy (Cache-Control: no-store), whatever the view said."""

    PREFIXES = ("/console/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.PREFIXES) and "no-store" not in response.get(
            "Cache-Control", ""
        ):
            response["Cache-Control"] = "private, no-store"
        return response
