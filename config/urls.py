import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from config import health, metrics
from config.converters import IdConverter

# A database outage is a 503 page ("try again shortly"), not a 500 (config/health.py).
handler500 = "config.health.server_error"

# Before the apps' URLs are included: they use <id:…> for database ids.
register_converter(IdConverter, "id")

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Prometheus; only METRICS_ALLOWED_IPS may read it (and nginx allows the same).
    path("metrics", metrics.metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    # One way in for staff: the console's login (lockout, second factor), also for the admin.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
    path("console/", include("accounts.urls")),
    path("console/", include("console.urls")),
    # The resident's pages: /r/<code> (printed in the QR codes), receipts.
    path("", include("evaluations.urls")),
    # The public portal: lists, search, community and company pages, notice, open data.
    path("", include("portal.urls")),
]

if settings.DEBUG or settings.SERVE_MEDIA:
    # static() adds nothing when DEBUG is off: the demo's media by the same view, explicitly.
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
