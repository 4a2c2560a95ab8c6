"""Who may see and act on what. Every console view goes through these helpers.

A permission the account's role lacks → 403. An object outside the account's
scope (another district, another company) → 404, as if it did not exist.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.identity import Role, is_city, profile_of, staff_member_required
from communities.models import District
from evaluations.models import Campaign, Enrollment
from reviews.models import Objection, Publication, PublicationEntry, ReviewCheck


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


# --- one helper per kind of object: the object within the user's scope, or 404 ------


def campaigns_in_scope(user) -> QuerySet[Campaign]:
    """The campaigns a user works on: every one for the city bureau, else those with
    an enrollment in the user's scope."""
    campaigns = Campaign.objects.all()
    if is_city(user):
        return campaigns
    in_scope = scope_enrollments(user, Enrollment.objects.all()).values("campaign_id")
    return campaigns.filter(pk__in=in_scope)


def access_campaign(user, slug: str) -> Campaign:
    try:
        return campaigns_in_scope(user).get(slug=slug)
    except Campaign.DoesNotExist:
        raise Http404 from None


def access_publication(user, pk, queryset: QuerySet[Publication] | None = None) -> Publication:
    """A published list of a campaign in the user's scope."""
    queryset = queryset if queryset is not None else Publication.objects.all()
    try:
        return queryset.filter(campaign__in=campaigns_in_scope(user)).get(pk=pk)
    except (Publication.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_entry(user, pk) -> PublicationEntry:
    """An entry of a published list, within the user's districts."""
    entries = PublicationEntry.objects.select_related("publication__campaign", "enrollment")
    entries = entries.filter(publication__campaign__in=campaigns_in_scope(user))
    scope = district_scope(user)
    if scope is not None:
        entries = entries.filter(district_code__in=scope.values("code"))
    try:
        return entries.get(pk=pk)
    except (PublicationEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_check(user, pk, *, with_evidence: bool = False) -> ReviewCheck:
    """A review check of an enrollment within the user's scope."""
    checks = ReviewCheck.objects.filter(
        enrollment__in=scope_enrollments(user, Enrollment.objects.all())
    )
    if with_evidence:
        checks = checks.exclude(evidence="")
    try:
        return checks.get(pk=pk)
    except (ReviewCheck.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def objections_in_scope(user, campaign: Campaign) -> QuerySet[Objection]:
    """The objections to a campaign's lists that the user answers: every one for the
    city bureau, those of the user's districts for a district reviewer."""
    objections = Objection.objects.filter(entry__publication__campaign=campaign)
    scope = district_scope(user)
    if scope is not None:
        objections = objections.filter(entry__district_code__in=scope.values("code"))
    return objections.select_related("entry", "answered_by").order_by("status", "filed_at")


def access_objection(user, pk, *, with_photo: bool = False) -> Objection:
    objections = Objection.objects.select_related("entry__publication__campaign")
    if with_photo:
        objections = objections.exclude(photo="")
    try:
        objection = objections.get(pk=pk)
    except (Objection.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    campaign = objection.entry.publication.campaign
    if not objections_in_scope(user, campaign).filter(pk=objection.pk).exists():
        raise Http404
    return objection
