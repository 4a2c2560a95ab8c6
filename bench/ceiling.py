"""The ceiling of the benchmark: a trivial view on the app's own stack.

Same gunicorn, same settings and the whole middleware chain (sessions, locale,
CSRF, auth, messages, django-axes), but no database, no template: every page's
throughput is compared with this one's. Routed only by bench/urls.py, and only
when BENCH_CEILING=1.
"""

from django.http import HttpRequest, HttpResponse


def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok\n", content_type="text/plain; charset=utf-8")
