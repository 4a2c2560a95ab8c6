"""The benchmark's URLconf (ROOT_URLCONF in bench/settings.py): the app's URLs, plus
the trivial ceiling view at /bench/ceiling/ when BENCH_CEILING=1. config/urls.py is
left as it is; production never loads this module."""

import os

from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

from .ceiling import ceiling

urlpatterns = list(app_urlpatterns)

if os.environ.get("BENCH_CEILING") == "1":
    # First in the list: the cheapest possible resolution, so the ceiling is the highest.
    urlpatterns.insert(0, path("bench/ceiling/", ceiling, name="bench_ceiling"))
