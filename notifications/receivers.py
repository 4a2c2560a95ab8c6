"""The domain's events → notifications. Each receiver runs inside the transaction of
the decision that sent the event (reviews/signals.py), so the rows commit or roll back
with it; their e-mail leaves after the commit (notify, below)."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from reviews import signals as review_signals
from reviews.models import Publication

from . import kinds, recipients, tasks
from .services import notify as _notify


def notify(kind, people, **kwargs) -> list[int]:
    """The rows now, in the event's transaction; their e-mail from a worker once it
    commits (never inside the request; nothing if it rolls back)."""
    ids = _notify(kind, people, **kwargs)
    if ids:
        transaction.on_commit(lambda: tasks.send_notification_emails.delay(ids))
    return ids


def connect() -> None:
    review_signals.enrollment_returned.connect(on_enrollment_returned, dispatch_uid="notify-ret")
    review_signals.objection_filed.connect(on_objection_filed, dispatch_uid="notify-obj")
    review_signals.publication_published.connect(on_published, dispatch_uid="notify-final")


def on_enrollment_returned(sender, enrollment, reason="", **kwargs):
    """Returned enrollment → the reviewers of its district."""
    community = enrollment.community
    notify(
        kinds.RETURNED,
        recipients.district_reviewers([community.district_id]),
        params={
            "community": community.name,
            "district": community.district.name,
            "campaign": enrollment.campaign.name,
            "reason": reason,
        },
        link=reverse("console:enrollment", args=[enrollment.pk]),
    )


def on_objection_filed(sender, objection, **kwargs):
    """New objection → the reviewers of its district and the city."""
    entry = objection.entry
    campaign = entry.publication.campaign
    people = {user.pk: user for user in recipients.city_staff()}
    people.update({u.pk: u for u in recipients.district_reviewers_by_code([entry.district_code])})
    notify(
        kinds.OBJECTION,
        people.values(),
        params={
            "community": entry.community_name,
            "district": entry.district_name,
            "campaign": campaign.name,
        },
        link=reverse("console:objections", args=[campaign.slug]),
        key=f"objection:{objection.pk}",
    )


def on_published(sender, publication, **kwargs):
    """Final list published (its first revision) → the staff of each listed company,
    each told of their own communities."""
    if publication.kind != Publication.Kind.FINAL or publication.revision != 1:
        return
    by_company: dict[int, list[str]] = {}
    for company_id, name in publication.entries.order_by("community_name").values_list(
        "enrollment__company_id", "community_name"
    ):
        by_company.setdefault(company_id, []).append(name)
    link = reverse("campaign_list", args=[publication.campaign.slug])
    staff = recipients.company_staff(by_company).select_related("staff_profile")
    for user in staff:
        names = by_company[user.staff_profile.company_id]
        notify(
            kinds.FINAL_PUBLISHED,
            [user],
            params={"campaign": publication.campaign.name, "communities": "、".join(names)},
            link=link,
            key=f"final:{publication.pk}",
        )
