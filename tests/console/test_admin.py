"""The Django admin: everything registered and searchable, codes issued and
printed from it, and no rates or ratings shown while a campaign is open."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from evaluations.households import codes_issue
from evaluations.models import Campaign, Rating
from evaluations.ratings import rating_submit

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "communities_district",
    "communities_street",
    "communities_propertycompany",
    "communities_community",
    "evaluations_campaign",
    "evaluations_criterion",
    "evaluations_prerequisite",
    "evaluations_enrollment",
    "evaluations_householdcode",
    "evaluations_rating",
    "showcases_showcase",
    "evaluations_auditentry",
    "reviews_publication",
    "reviews_objection",
    "accounts_staffprofile",
]


@pytest.fixture
def officer(db):
    """A city officer with full admin rights."""
    return get_user_model().objects.create_superuser(
        "officer", "o@example.org", "x-long-password-1"
    )


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.mark.parametrize("name", CHANGELISTS)
def test_every_model_has_a_searchable_changelist(officer_client, enrollment, name):
    url = reverse(f"admin:{name}_changelist")
    response = officer_client.get(url, {"q": "汉口"})
    assert response.status_code == 200
    assert 'id="searchbar"' in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    response = client.get(reverse("admin:evaluations_rating_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def rate(code, criteria, overall="satisfied"):
    return rating_submit(code, overall=overall, answers={c.pk: overall for c in criteria})


def test_while_open_staff_see_turnout_but_no_rates_and_no_ratings(
    officer_client, enrollment, household_code, criteria
):
    rating = rate(household_code, criteria, "unsatisfied")
    page = officer_client.get(reverse("admin:evaluations_enrollment_changelist")).content.decode()
    assert "评议期间不显示" in page
    assert "1.0%" in page  # coverage: 1 of 100 households
    ratings_page = officer_client.get(reverse("admin:evaluations_rating_changelist"))
    assert rating.receipt not in ratings_page.content.decode()
    detail = officer_client.get(reverse("admin:evaluations_rating_change", args=[rating.pk]))
    assert detail.status_code in (302, 403, 404)
    assert "不满意" not in detail.content.decode()


def test_the_enrollment_list_counts_codes_and_responses_without_multiplying(
    officer_client, enrollment, criteria
):
    codes = codes_issue(enrollment, 7)
    for code, overall in zip(codes[:4], ["satisfied"] * 3 + ["unsatisfied"], strict=True):
        rate(code, criteria, overall)
    rate(codes[0], criteria, "satisfied")  # a changed rating: history, not a new response
    Campaign.objects.filter(pk=enrollment.campaign_id).update(
        status=Campaign.Status.CLOSED, monitoring_finalised_at=timezone.now()
    )
    response = officer_client.get(reverse("admin:evaluations_enrollment_changelist"))
    row = next(r for r in response.context["cl"].result_list if r.pk == enrollment.pk)
    admin = response.context["cl"].model_admin
    assert row.codes_issued == 7
    assert admin.responses_shown(row) == 4
    assert admin.coverage_shown(row) == "4.0%"
    assert admin.rate_shown(row) == "75.0%"


def test_once_closed_rates_and_ratings_are_shown_read_only(
    officer_client, enrollment, household_code, criteria
):
    rating = rate(household_code, criteria, "satisfied")
    Campaign.objects.filter(pk=enrollment.campaign_id).update(
        status=Campaign.Status.CLOSED, monitoring_finalised_at=timezone.now()
    )
    page = officer_client.get(reverse("admin:evaluations_enrollment_changelist")).content.decode()
    assert "100.0%" in page
    ratings_page = officer_client.get(reverse("admin:evaluations_rating_changelist"))
    assert rating.receipt in ratings_page.content.decode()
    detail = officer_client.get(reverse("admin:evaluations_rating_change", args=[rating.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    # No delete path for ratings, not even through the admin.
    delete = officer_client.post(
        reverse("admin:evaluations_rating_delete", args=[rating.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert Rating.objects.filter(pk=rating.pk).exists()


def test_campaign_rules_are_read_only_once_it_opens(officer_client, open_campaign):
    page = officer_client.get(
        reverse("admin:evaluations_campaign_change", args=[open_campaign.pk])
    ).content.decode()
    assert 'name="threshold_percent"' not in page
    Campaign.objects.filter(pk=open_campaign.pk).update(status=Campaign.Status.DRAFT)
    page = officer_client.get(
        reverse("admin:evaluations_campaign_change", args=[open_campaign.pk])
    ).content.decode()
    assert 'name="threshold_percent"' in page


def test_annotations_cannot_be_used_as_filters_to_read_an_open_campaign(
    officer_client, enrollment, household_code, criteria
):
    rate(household_code, criteria, "unsatisfied")
    url = reverse("admin:evaluations_enrollment_changelist")
    response = officer_client.get(url, {"n_unsatisfied__gte": "1"})
    # Refused (the admin redirects with ?e=1), never a filtered list.
    assert response.status_code in (302, 400)
    response = officer_client.get(url, {"n_unsatisfied__gte": "5"})
    assert response.status_code in (302, 400)


def test_the_admin_cannot_change_a_campaigns_status(officer_client, open_campaign):
    url = reverse("admin:evaluations_campaign_change", args=[open_campaign.pk])
    page = officer_client.get(url).content.decode()
    assert 'name="status"' not in page
    assert 'name="closes_at_0"' not in page
    officer_client.post(url, {"name": open_campaign.name, "status": "closed"})
    open_campaign.refresh_from_db()
    assert open_campaign.status == Campaign.Status.OPEN


def test_a_criterion_in_use_cannot_be_deleted(officer_client, open_campaign, criteria):
    url = reverse("admin:evaluations_criterion_delete", args=[criteria[0].pk])
    assert officer_client.get(url).status_code == 403


def test_staff_never_see_who_rated_from_where(officer_client, enrollment, criteria):
    code = codes_issue(enrollment, 1)[0]
    rating = rating_submit(
        code, overall="satisfied", answers={c.pk: "satisfied" for c in criteria},
        client_ip="203.0.113.7", user_agent="Mozilla/5.0 (iPhone) MicroMessenger",
    )  # fmt: skip
    Campaign.objects.filter(pk=enrollment.campaign_id).update(
        status=Campaign.Status.CLOSED, monitoring_finalised_at=timezone.now()
    )
    page = officer_client.get(
        reverse("admin:evaluations_rating_change", args=[rating.pk])
    ).content.decode()
    assert "203.0.113.7" not in page and "MicroMessenger" not in page


def test_the_audit_log_has_no_change_or_delete_path_in_the_admin(officer_client, open_campaign):
    from evaluations.audit import audit_record
    from evaluations.models import AuditEntry

    entry = audit_record("campaign_created", campaign=open_campaign)
    change = officer_client.post(
        reverse("admin:evaluations_auditentry_change", args=[entry.pk]), {"reason": "篡改"}
    )
    delete = officer_client.post(
        reverse("admin:evaluations_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert change.status_code == 403 and delete.status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "" and AuditEntry.objects.count() == 1
