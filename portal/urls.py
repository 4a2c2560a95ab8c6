"""The public pages (no namespace: home, campaign_list, district, search, community,
company, notice, open data …). The open-data addresses are a stable interface (SPEC)."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import notice_views, opendata_views, views
from .sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("lang/", views.switch_language, name="switch_language"),
    path("display/", views.switch_display, name="switch_display"),
    path("privacy/", views.privacy, name="privacy"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("lists/<slug:slug>/", views.campaign_list, name="campaign_list"),
    path("lists/<slug:slug>/r/<int:revision>/", views.list_revision, name="list_revision"),
    path("lists/<slug:slug>/<str:code>/", views.district_page, name="district"),
    path("search/", views.search, name="search"),
    path("communities/<id:pk>/", views.community_page, name="community"),
    path(
        "communities/<id:pk>/share/<str:language>.png",
        views.community_share_card,
        name="community_share_card",
    ),
    path("companies/<id:pk>/", views.company_page, name="company"),
    path("notice/<slug:slug>/", notice_views.notice, name="notice"),
    path(
        "notice/<slug:slug>/object/<id:entry_id>/",
        notice_views.objection_create,
        name="notice_objection",
    ),
    path(
        "notice/<slug:slug>/thanks/<str:ref>/",
        notice_views.objection_done,
        name="notice_objection_done",
    ),
    path("objections/", notice_views.objection_lookup, name="objection_lookup"),
    path("objections/<str:ref>/", notice_views.objection_status, name="objection_status"),
    # Open data. The ballots address comes before the list's CSV, which would otherwise
    # take "<slug>-ballots" for a campaign slug.
    path("open-data/", opendata_views.index, name="open_data_index"),
    path(
        "open-data/<slug:slug>-ballots.csv",
        opendata_views.publication_ballots_csv,
        name="open_data_ballots",
    ),
    path(
        "open-data/<slug:slug>-receipts.csv",
        opendata_views.publication_receipts_csv,
        name="open_data_receipts",
    ),
    path(
        "open-data/<slug:slug>-notice.pdf",
        opendata_views.publication_notice,
        name="open_data_notice",
    ),
    path("open-data/<slug:slug>.csv", opendata_views.publication_csv, name="open_data_csv"),
    path("open-data/<slug:slug>.json", opendata_views.publication_json, name="open_data_json"),
]
