"""Who a staff account is: its profile (scope), whether it speaks for the city, and
the decorator every staff page starts from (logged in, holding a profile). What an
account may *do* is its groups' permissions (accounts.roles); which objects it may
reach, the console's access helpers (console.access)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import StaffProfile

Role = StaffProfile.Role


def profile_of(user) -> StaffProfile | None:
    if not user.is_authenticated:
        return None
    try:
        return user.staff_profile
    except StaffProfile.DoesNotExist:
        return None


def is_city(user) -> bool:
    profile = profile_of(user)
    return user.is_superuser or (profile is not None and profile.role == Role.CITY)


def staff_member_required(view):
    """Logged in (else the login page) and holding a staff profile (else 403)."""

    @login_required(login_url="accounts:login")
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_superuser and profile_of(request.user) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
