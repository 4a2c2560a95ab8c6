"""The site's URLs plus the uploaded media, for browser tests (DEBUG is off there,
and in production a web server or object storage serves media)."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    *site_urlpatterns,
]
