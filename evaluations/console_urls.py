from django.contrib.auth import views as auth_views
from django.urls import path

from communities.console_urls import urlpatterns as communities_urlpatterns

from . import account_views, export_views
from . import console_views as views
from . import monitoring_views as monitoring
from .showcase_urls import urlpatterns as showcase_urlpatterns

app_name = "console"

urlpatterns = [
    path("login/", views.ConsoleLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("login/verify/", account_views.otp_verify, name="otp_verify"),
    path("account/second-factor/", account_views.otp_setup, name="otp_setup"),
    path(
        "account/password/", account_views.PasswordChangeView.as_view(), name="password_change"
    ),
    path("", views.dashboard, name="dashboard"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign"),
    path(
        "campaigns/<slug:slug>/step/<str:action>/",
        views.campaign_transition,
        name="campaign_transition",
    ),
    path("campaigns/<slug:slug>/enroll/", views.campaign_enroll, name="campaign_enroll"),
    path("campaigns/<slug:slug>/approval/", views.campaign_approval, name="approval"),
    path("campaigns/<slug:slug>/publish/<str:kind>/", views.campaign_publish, name="publish"),
    path("campaigns/<slug:slug>/objections/", views.campaign_objections, name="objections"),
    path("campaigns/<slug:slug>/audit.csv", views.audit_csv, name="audit_csv"),
    path("campaigns/<slug:slug>/results.csv", export_views.results_csv_view, name="results_csv"),
    path("campaigns/<slug:slug>/results.xlsx", export_views.results_xlsx_view, name="results_xlsx"),
    # anti-fraud monitoring (issue 5): flags per community, hold for review, release
    path("campaigns/<slug:slug>/monitoring/", monitoring.campaign_monitoring, name="monitoring"),
    path(
        "campaigns/<slug:slug>/monitoring/<int:pk>/",
        monitoring.community_monitoring,
        name="monitoring_community",
    ),
    path(
        "campaigns/<slug:slug>/monitoring/<int:pk>/hold/",
        monitoring.rating_hold,
        name="rating_hold",
    ),
    path(
        "campaigns/<slug:slug>/monitoring/<int:pk>/release/",
        monitoring.rating_release,
        name="rating_release",
    ),
    path("enrollments/<int:pk>/", views.enrollment_detail, name="enrollment"),
    path("enrollments/<int:pk>/checks/", views.enrollment_checks, name="enrollment_checks"),
    path(
        "enrollments/<int:pk>/decide/<str:decision>/",
        views.enrollment_decide,
        name="enrollment_decide",
    ),
    path("checks/<int:pk>/evidence/", views.check_evidence, name="check_evidence"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
    path("objections/<int:pk>/photo/", views.objection_photo, name="objection_photo"),
    path("publications/<int:pk>/", views.publication_detail, name="publication"),
    path("entries/<int:pk>/withdraw/", views.entry_withdraw, name="entry_withdraw"),
] + communities_urlpatterns
urlpatterns += showcase_urlpatterns
