"""Who is told: by role and scope. The one module of this app that knows where staff
accounts keep their role and scope (accounts.StaffProfile): if that changes, this is
the only place to change."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from accounts.models import StaffProfile

Role = StaffProfile.Role


def _active():
    return get_user_model().objects.filter(is_active=True, staff_profile__isnull=False)


def city_staff() -> QuerySet:
    return _active().filter(staff_profile__role=Role.CITY)


def district_reviewers(district_ids) -> QuerySet:
    """Reviewers covering any of these districts (by primary key)."""
    return (
        _active()
        .filter(staff_profile__role=Role.DISTRICT, staff_profile__districts__in=district_ids)
        .distinct()
    )


def district_reviewers_by_code(codes) -> QuerySet:
    return (
        _active()
        .filter(staff_profile__role=Role.DISTRICT, staff_profile__districts__code__in=codes)
        .distinct()
    )


def company_staff(company_ids) -> QuerySet:
    return _active().filter(
        staff_profile__role=Role.COMPANY, staff_profile__company__in=company_ids
    )
