"""The staff console: server-rendered pages under /console/ (views stay thin:
parse, check access, call one service, render)."""

from django.contrib.auth import views as auth_views
from django.shortcuts import render

from .access import staff_member_required


class ConsoleLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True


@staff_member_required
def dashboard(request):
    return render(request, "console/dashboard.html", {})


@staff_member_required
def campaign_create(request):
    return render(request, "console/dashboard.html", {})
