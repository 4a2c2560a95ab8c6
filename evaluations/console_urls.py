from django.contrib.auth import views as auth_views
from django.urls import path

from communities.console_urls import urlpatterns as communities_urlpatterns

from . import console_views as views

app_name = "console"

urlpatterns = [
    path("login/", views.ConsoleLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
] + communities_urlpatterns
