"""待办: what an account must do now, by kind, with counts — the first thing the
console shows (its template links each kind to its page). Read-only; the caller
scopes what is counted (console.access): a district reviewer the work of their
districts, the city all of it, company staff none of the review work. A handful of
aggregate queries whatever the number of campaigns or rows
(tests/console/test_todo.py pins them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluations.models import Campaign, ReviewStatus

from .models import Objection, Publication

NOTICE_ENDING_DAYS = 3  # a notice period ending within this many days is on the list


@dataclass(frozen=True)
class TodoItem:
    kind: str
    label: str
    campaign: Campaign
    count: int
    when: object = None  # the notice period's end, for "notice ending"


KIND_LABELS = {
    "to_check": _("Enrollments to check"),
    "returned": _("Returned by the city"),
    "objections": _("Objections to answer"),
    "upholds": _("Upheld objections awaiting the city's confirmation"),
    "approvals": _("Recommendations waiting for approval"),
    "notice_ending": _("Public notice ending"),
}


def todo_items(
    *,
    enrollments,
    objections,
    reviews: bool,
    approves: bool,
    answers: bool,
    publishes: bool,
    now=None,
) -> list[TodoItem]:
    """`enrollments` and `objections`: those in the person's scope; the flags: which
    kinds of work their role does."""
    now = now or timezone.now()
    items: list[TodoItem] = []
    if reviews or approves:
        # Review happens while a campaign is closed and its preliminary list not out.
        in_review = enrollments.filter(
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
                if row[kind]:
                    items.append(TodoItem(kind, KIND_LABELS[kind], campaign, row[kind]))
    if answers:
        wanted = {"objections": Count("id", filter=Q(status=Objection.Status.OPEN))}
        if approves:  # the city confirms a district's uphold of a community it approved
            wanted["upholds"] = Count("id", filter=Q(status=Objection.Status.AWAITING_CITY))
        counts = objections.values("entry__publication__campaign_id").annotate(**wanted).order_by()
        campaigns = Campaign.objects.in_bulk(
            {row["entry__publication__campaign_id"] for row in counts}
        )
        for row in counts:
            campaign = campaigns[row["entry__publication__campaign_id"]]
            for kind in wanted:
                if row[kind]:
                    items.append(TodoItem(kind, KIND_LABELS[kind], campaign, row[kind]))
    if publishes:
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
                    when=publication.notice_ends_at,
                )
            )
    order = list(KIND_LABELS)
    items.sort(key=lambda item: (order.index(item.kind), item.campaign.slug))
    return items
