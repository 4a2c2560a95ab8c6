from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from evaluations import portal_views, public_views
from evaluations import views as evaluation_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("lang/", portal_views.switch_language, name="switch_language"),
    path("lists/<slug:slug>/", portal_views.campaign_list, name="campaign_list"),
    path("lists/<slug:slug>/<str:code>/", portal_views.district_page, name="district"),
    path("search/", portal_views.search, name="search"),
    path("communities/<int:pk>/", portal_views.community_page, name="community"),
    path("companies/<int:pk>/", portal_views.company_page, name="company"),
    path("healthz", evaluation_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # One way in for staff: the console's login (lockout, second factor), also for the admin.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="console:login", query_string=True),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
    path("console/", include("evaluations.console_urls")),
    path("", include("evaluations.urls")),
    path("", include("evaluations.opendata_urls")),
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
