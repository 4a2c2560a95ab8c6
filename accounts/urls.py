"""A staff member's way in and own account, under /console/ beside the console's pages:
sign in (lockouts, the second factor), sign out, password, second factor."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.ConsoleLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="accounts:login"), name="logout"),
    path("login/verify/", views.otp_verify, name="otp_verify"),
    path("account/second-factor/", views.otp_setup, name="otp_setup"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
]
