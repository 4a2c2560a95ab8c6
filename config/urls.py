from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from evaluations import public_views
from evaluations import views as evaluation_views

urlpatterns = [
    path("", evaluation_views.home, name="home"),
    path("healthz", evaluation_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("console/", include("evaluations.console_urls")),
    path("", include("evaluations.urls")),
    path("notice/<slug:slug>/", public_views.notice, name="notice"),
    path(
        "notice/<slug:slug>/object/<int:entry_id>/",
        public_views.objection_create,
        name="notice_objection",
    ),
    path("notice/<slug:slug>/thanks/", public_views.objection_done, name="notice_objection_done"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
