from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from evaluations import views as evaluation_views

urlpatterns = [
    path("", evaluation_views.home, name="home"),
    path("healthz", evaluation_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("console/", include("evaluations.console_urls")),
    path("", include("evaluations.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
