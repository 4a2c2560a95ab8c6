"""The inbox of notifications (notifications/): the list, marking read, and which kinds
come by e-mail. Every staff account has one; each sees only their own rows."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.access import staff_member_required
from notifications import services
from notifications.kinds import KIND_CHOICES

PAGE_SIZE = 50
ORDERS = ("unread", "newest")


def _order(value) -> str:
    return value if value in ORDERS else "unread"


@staff_member_required
def inbox(request):
    order = _order(request.GET.get("order"))
    page = Paginator(services.inbox(request.user, order=order), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "console/inbox.html", {"page": page, "order": order})


@staff_member_required
@require_POST
def inbox_read(request):
    """Mark one row read (`id`) or all of them (`all`); then back where the person was."""
    if request.POST.get("all"):
        services.notifications_mark_read(request.user)
    else:
        ids = [int(v) for v in request.POST.getlist("id") if v.isdigit() and len(v) < 19]
        if not ids:
            messages.error(request, _("Choose a notification to mark as read."))
        services.notifications_mark_read(request.user, ids)
    query = {"order": _order(request.POST.get("order"))}
    if (page := request.POST.get("page", "")).isdigit() and len(page) < 9:
        query["page"] = page
    return redirect(f"{reverse('console:inbox')}?{urlencode(query)}")


@staff_member_required
def inbox_preferences(request):
    """Opt out of e-mail per kind (checkboxes; the inbox row is kept either way)."""
    if request.method == "POST":
        valid = {kind for kind, _label in KIND_CHOICES}
        services.preferences_save(
            request.user, [k for k in request.POST.getlist("email") if k in valid]
        )
        messages.success(request, _("Your e-mail choices are saved."))
        return redirect("console:inbox_preferences")
    chosen = services.preferences(request.user)
    kinds = [(kind, label, chosen[kind]) for kind, label in KIND_CHOICES]
    return render(
        request,
        "console/inbox_preferences.html",
        {"kinds": kinds, "has_email": bool(request.user.email)},
    )
