"""Console pages of the communities app (import); included under /console/."""

from django.urls import path

from . import console_views as views

urlpatterns = [
    path("import/", views.import_upload, name="import"),
]
