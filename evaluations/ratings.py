"""A household's rating (SPEC step 3): finding its code, checking the window, and
recording the rating so that exactly one counts per household.

Plain ORM throughout. The rating path once had statements written by hand and a
page pre-rendered per campaign; one 2-core server took ~180 ratings a second with
them, far above a city's busiest hour, and `make bench` shows the ORM path well
above the 2.5%-of-ceiling line that would justify keeping them (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from .codes import generate_receipt, hash_code, normalize_code
from .errors import DomainError
from .models import Campaign, Criterion, HouseholdCode, Rating, RatingAnswer, answer_pattern


class CodeUnknown(DomainError):
    pass


class CodeRevoked(DomainError):
    """The code's notice was reissued: the household has a newer code."""

    def __init__(self, message: str, code: HouseholdCode):
        super().__init__(message)
        self.code = code


class WindowClosed(DomainError):
    def __init__(self, message: str, campaign: Campaign):
        super().__init__(message)
        self.campaign = campaign


class InvalidRating(DomainError):
    pass


def household_code_lookup(raw_code: str) -> HouseholdCode:
    """The household code with its enrollment, campaign, community, district and
    company, and `has_rated` (whether it has a counted rating): one query."""
    code = normalize_code(raw_code)
    if code is None:
        raise CodeUnknown(
            _(
                "This is not a household code. A code has 12 letters and digits, "
                "printed on your household notice."
            )
        )
    found = (
        HouseholdCode.objects.select_related(
            "enrollment__campaign", "enrollment__community__district", "enrollment__company"
        )
        .annotate(
            has_rated=Exists(Rating.objects.filter(household_code=OuterRef("pk"), is_current=True))
        )
        .filter(code_hash=hash_code(code))
        .first()
    )
    if found is None:
        raise CodeUnknown(
            _("This code is not known. Check it against your household notice and try again.")
        )
    if found.revoked_at is not None:
        raise CodeRevoked(_revoked_message(), found)
    return found


def _revoked_message() -> str:
    return _(
        "This household code has been replaced: a new notice was issued for your "
        "household. Use the code on the new notice; a rating with it replaces any "
        "rating made with this one."
    )


def campaign_criteria(campaign: Campaign) -> list[Criterion]:
    """The campaign's criteria in questionnaire order."""
    return list(campaign.criteria.order_by("order", "code"))


def check_window(campaign: Campaign, now=None) -> None:
    now = now or timezone.now()
    if campaign.accepts_ratings(now):
        return
    if campaign.status == Campaign.Status.DRAFT or (
        campaign.status == Campaign.Status.OPEN and now < campaign.opens_at
    ):
        message = _("Rating has not started yet. It opens on %(date)s.")
        date = campaign.opens_at
    else:
        message = _("Rating for this campaign closed on %(date)s. Thank you for your interest.")
        date = campaign.rating_ended_at
    raise WindowClosed(
        message % {"date": timezone.localtime(date).strftime("%Y-%m-%d %H:%M")}, campaign
    )


def validate_rating(
    overall: str, answers: Mapping[int, str], comment: str, criteria: list[Criterion]
) -> str:
    """The questionnaire's rules, as the rating form states them (its fields are their
    one home); returns the comment as it is stored. Raises InvalidRating."""
    from .forms import RatingForm

    if set(answers) - {c.pk for c in criteria}:
        raise InvalidRating(_("The form does not match this campaign's questions."))
    data = {"overall": overall, "comment": comment or ""}
    data.update({RatingForm.field_name(c): answers.get(c.pk) or "" for c in criteria})
    form = RatingForm(data, criteria=criteria)
    if form.is_valid():
        return form.cleaned_data["comment"]
    if "overall" in form.errors:
        raise InvalidRating(form.errors["overall"][0])
    missing = [c.display_name for c in criteria if RatingForm.field_name(c) in form.errors]
    if missing:
        raise InvalidRating(
            _("Answer every question: %(missing)s.") % {"missing": "、".join(missing)}
        )
    raise InvalidRating(" ".join(form.errors["comment"]))


def rating_submit(
    code: str | HouseholdCode,
    *,
    overall: str,
    answers: Mapping[int, str],
    comment: str = "",
    client_ip: str | None = None,
    user_agent: str = "",
    form_seconds: int | None = None,
    browser_id: str = "",
    now=None,
    criteria: list[Criterion] | None = None,
    validated: bool = False,
) -> Rating:
    """Record a household's rating. The previous counted rating of the same code,
    if any, stays as history and stops counting; exactly one counts.

    `code` is the code as typed, or the HouseholdCode the caller has looked up
    already (the rating view does, to show the form); `criteria` the campaign's, if
    the caller has them; `validated` that the answers come from a RatingForm that
    has just validated them (the rating view's), which are not validated twice.

    Concurrent submits of one code are serialised by a row lock on the code
    (PostgreSQL) or the database's single writer (SQLite); the partial unique
    index `rating_one_current_per_code` guarantees the outcome either way.
    """
    if not isinstance(code, HouseholdCode):
        code = household_code_lookup(code)
    if criteria is None:
        criteria = campaign_criteria(code.enrollment.campaign)
    if not validated:
        comment = validate_rating(overall, answers, comment, criteria)
    for attempt in range(3):
        try:
            with transaction.atomic():
                # Lock the household's code row (only it): concurrent submits of the same
                # code queue here. The campaign is read after the lock, so a campaign
                # closed meanwhile refuses the rating.
                locked = (
                    HouseholdCode.objects.select_for_update(of=("self",))
                    .select_related("enrollment__campaign")
                    .get(pk=code.pk)
                )
                now_ = now or timezone.now()
                if locked.revoked_at is not None:
                    raise CodeRevoked(_revoked_message(), locked)
                check_window(locked.enrollment.campaign, now_)
                # The household's latest rating counts, whichever of its codes made
                # the earlier one (a reissued notice: SPEC, household code).
                if locked.household_id is not None:
                    previous = Rating.objects.filter(
                        household_code__household_id=locked.household_id, is_current=True
                    )
                else:
                    previous = Rating.objects.filter(household_code=locked, is_current=True)
                previous.update(is_current=False, superseded_at=now_)
                rating = Rating.objects.create(
                    household_code=locked,
                    enrollment_id=locked.enrollment_id,
                    overall=overall,
                    comment=comment,
                    receipt=generate_receipt(),
                    submitted_at=now_,
                    is_current=True,
                    client_ip=client_ip or None,
                    user_agent=(user_agent or "")[:300],
                    form_seconds=form_seconds,
                    browser_id=(browser_id or "")[:32],
                    answer_pattern=answer_pattern(criteria, answers),
                )
                RatingAnswer.objects.bulk_create(
                    RatingAnswer(rating=rating, criterion_id=c.pk, answer=answers[c.pk])
                    for c in criteria
                )
                return rating
        except IntegrityError:
            # Only reachable where the lock is not honoured: the unique index refused
            # a second current rating. Try again on top of the one that won.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def household_has_rated(code: HouseholdCode) -> bool:
    if hasattr(code, "has_rated"):  # annotated by household_code_lookup
        return code.has_rated
    return Rating.objects.filter(household_code=code, is_current=True).exists()
