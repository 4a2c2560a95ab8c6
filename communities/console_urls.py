"""Console pages of the communities app (import); included under /console/."""

from django.urls import path

from . import console_views as views

urlpatterns = [
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path(
        "import/template/<slug:kind>.xlsx",
        views.import_template_xlsx,
        name="import_template_xlsx",
    ),
    path("import/template/<slug:kind>.csv", views.import_template_csv, name="import_template_csv"),
]
