"""The open-data addresses (SPEC: stable interface). Names without a namespace:
open_data_index, open_data_csv, open_data_json, open_data_ballots.

The ballots address comes before the list's CSV, which would otherwise take
"<slug>-ballots" for a campaign slug."""

from django.urls import path

from . import opendata_views

urlpatterns = [
    path("open-data/", opendata_views.index, name="open_data_index"),
    path(
        "open-data/<slug:slug>-ballots.csv",
        opendata_views.publication_ballots_csv,
        name="open_data_ballots",
    ),
    path("open-data/<slug:slug>.csv", opendata_views.publication_csv, name="open_data_csv"),
    path("open-data/<slug:slug>.json", opendata_views.publication_json, name="open_data_json"),
]
