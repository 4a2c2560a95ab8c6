from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from config.converters import IdConverter
from evaluations import views as evaluation_views

# Before the apps' URLs are included: they use <id:…> for database ids.
register_converter(IdConverter, "id")

urlpatterns = [
    path("healthz", evaluation_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # One way in for staff: the console's login (lockout, second factor), also for the admin.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="console:login", query_string=True),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
    path("console/", include("console.urls")),
    # The resident's pages: /r/<code> (printed in the QR codes), receipts.
    path("", include("evaluations.urls")),
    # The public portal: lists, search, community and company pages, notice, open data.
    path("", include("portal.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
