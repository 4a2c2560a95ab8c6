"""Who may see and act on what. Every console view goes through these helpers.

A permission the account's role lacks → 403. An object outside the account's
scope (another district, another company) → 404, as if it did not exist.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from communities.models import District
from evaluations.models import Enrollment

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

    @login_required(login_url="console:login")
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_superuser and profile_of(request.user) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def permission_required(*perms: str):
    """A staff member whose role grants every one of `perms` (else 403)."""

    def decorator(view):
        @staff_member_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def district_scope(user) -> QuerySet[District] | None:
    """The districts a user acts on; None means every district (city bureau)."""
    if is_city(user):
        return None
    profile = profile_of(user)
    if profile is None:
        return District.objects.none()
    if profile.role == Role.DISTRICT:
        return profile.districts.all()
    return District.objects.none()


def scope_enrollments(user, queryset: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """Only the enrollments within the user's scope."""
    if is_city(user):
        return queryset
    profile = profile_of(user)
    if profile is None:
        return queryset.none()
    if profile.role == Role.DISTRICT:
        return queryset.filter(community__district__in=profile.districts.all())
    if profile.role == Role.COMPANY and profile.company_id:
        return queryset.filter(
            Q(company_id=profile.company_id) | Q(community__company_id=profile.company_id)
        )
    return queryset.none()


def access_enrollment(user, pk, queryset: QuerySet[Enrollment] | None = None) -> Enrollment:
    queryset = queryset if queryset is not None else Enrollment.objects.all()
    try:
        return scope_enrollments(user, queryset).get(pk=pk)
    except (Enrollment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def in_district_scope(user, district_id: int) -> bool:
    scope = district_scope(user)
    return scope is None or scope.filter(pk=district_id).exists()
