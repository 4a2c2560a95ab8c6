"""待办: what an account must do now, by kind, with counts and links — the first
thing the console shows. Read-only; scoped like every console page (console.access):
a district reviewer sees the work of their districts, the city all of it, company
staff none of the review work. A handful of aggregate queries whatever the number of
campaigns or rows (tests/console/test_todo.py pins them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from evaluations.models import Campaign, Enrollment, ReviewStatus
from reviews.models import Objection, Publication

from .access import district_scope, scope_enrollments

NOTICE_ENDING_DAYS = 3  # a notice period ending within this many days is on the list


@dataclass(frozen=True)
class TodoItem:
    kind: str
    label: str
    campaign: Campaign
    count: int
    url: str
    when: object = None  # the notice period's end, for "notice ending"


KIND_LABELS = {
    "to_check": _("Enrollments to check"),
    "returned": _("Returned by the city"),
    "objections": _("Objections to answer"),
    "approvals": _("Recommendations waiting for approval"),
    "notice_ending": _("Public notice ending"),
}


def _bulk_url(campaign: Campaign, status: str) -> str:
    return f"{reverse('console:bulk', args=[campaign.slug])}?{urlencode({'status': status})}"


def todo_items(user, now=None) -> list[TodoItem]:
    now = now or timezone.now()
    items: list[TodoItem] = []
    reviews = user.has_perm("evaluations.review_enrollment")
    approves = user.has_perm("evaluations.approve_recommendation")
    if reviews or approves:
        # Review happens while a campaign is closed and its preliminary list not out.
        in_review = scope_enrollments(user, Enrollment.objects.all()).filter(
            campaign__status=Campaign.Status.CLOSED, campaign__publications__isnull=True
        )
        wanted = {}
        if reviews:
            wanted["to_check"] = Count("id", filter=Q(review_status=ReviewStatus.PENDING))
            wanted["returned"] = Count("id", filter=Q(review_status=ReviewStatus.RETURNED))
        if approves:
            wanted["approvals"] = Count("id", filter=Q(review_status=ReviewStatus.RECOMMENDED))
        counts = in_review.values("campaign_id").annotate(**wanted).order_by()
        campaigns = Campaign.objects.in_bulk({row["campaign_id"] for row in counts})
        for row in counts:
            campaign = campaigns[row["campaign_id"]]
            for kind in wanted:
                if not row[kind]:
                    continue
                url = (
                    reverse("console:approval", args=[campaign.slug])
                    if kind == "approvals"
                    else _bulk_url(
                        campaign,
                        ReviewStatus.PENDING if kind == "to_check" else ReviewStatus.RETURNED,
                    )
                )
                items.append(TodoItem(kind, KIND_LABELS[kind], campaign, row[kind], url))
    if user.has_perm("reviews.answer_objection"):
        objections = Objection.objects.filter(status=Objection.Status.OPEN)
        scope = district_scope(user)
        if scope is not None:
            objections = objections.filter(entry__district_code__in=scope.values("code"))
        counts = (
            objections.values("entry__publication__campaign_id").annotate(n=Count("id")).order_by()
        )
        campaigns = Campaign.objects.in_bulk(
            {row["entry__publication__campaign_id"] for row in counts}
        )
        for row in counts:
            campaign = campaigns[row["entry__publication__campaign_id"]]
            url = reverse("console:objections", args=[campaign.slug])
            items.append(TodoItem("objections", KIND_LABELS["objections"], campaign, row["n"], url))
    if user.has_perm("evaluations.publish_list"):
        ending = (
            Publication.objects.filter(
                kind=Publication.Kind.PRELIMINARY,
                notice_ends_at__gt=now - timedelta(days=NOTICE_ENDING_DAYS),
                notice_ends_at__lte=now + timedelta(days=NOTICE_ENDING_DAYS),
            )
            .exclude(campaign__publications__kind=Publication.Kind.FINAL)
            .select_related("campaign")
            .distinct()
        )
        for publication in ending:
            campaign = publication.campaign
            items.append(
                TodoItem(
                    "notice_ending",
                    KIND_LABELS["notice_ending"],
                    campaign,
                    1,
                    reverse("console:campaign", args=[campaign.slug]),
                    when=publication.notice_ends_at,
                )
            )
    order = list(KIND_LABELS)
    items.sort(key=lambda item: (order.index(item.kind), item.campaign.slug))
    return items
