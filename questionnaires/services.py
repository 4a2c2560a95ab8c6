"""The criteria-set library's rules: create, copy and edit a set (each edit a new
version), a campaign taking a set, and adjusting a campaign's questions until rating
opens. Each step is atomic and audited (evaluations.audit), and refuses with a
message for the person (QuestionnaireRefused) when the rules say no."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Count, F, ProtectedError
from django.utils.translation import gettext as _

from evaluations import campaigns
from evaluations.audit import audit_record
from evaluations.errors import DomainError
from evaluations.models import Campaign, Criterion
from evaluations.signals import campaign_changed

from .models import (
    MAX_QUESTIONS,
    CampaignQuestionnaire,
    CriteriaSet,
    CriteriaSetItem,
    CriteriaSetVersion,
)

ITEM_FIELDS = ("code", "text", "short_name", "hint", "text_en", "hint_en", "order")
# What a campaign may adjust of its questions (the code stays: ballots and digests use it).
QUESTION_FIELDS = ("text", "hint", "text_en", "hint_en", "order")
# Item field → Criterion field.
CRITERION_FIELD = {
    "text": "name",
    "short_name": "short_name",
    "hint": "description",
    "text_en": "name_en",
    "hint_en": "description_en",
    "order": "order",
}


class QuestionnaireRefused(DomainError):
    pass


def _clean_items(items: Iterable[Mapping]) -> list[dict]:
    cleaned = [{f: item.get(f, "" if f != "order" else 0) for f in ITEM_FIELDS} for item in items]
    if not cleaned:
        raise QuestionnaireRefused(_("A criteria set needs at least one question."))
    if len(cleaned) > MAX_QUESTIONS:
        raise QuestionnaireRefused(
            _("A criteria set has at most %(n)d questions.") % {"n": MAX_QUESTIONS}
        )
    codes = [item["code"] for item in cleaned]
    if len(set(codes)) != len(codes):
        raise QuestionnaireRefused(_("Each question of a set needs a code of its own."))
    for item in cleaned:
        if not item["code"] or not str(item["text"]).strip():
            raise QuestionnaireRefused(_("Each question needs a code and a text."))
    return cleaned


def _summary(items: Iterable) -> str:
    """A version's or a campaign's questions in one line for the audit log."""
    return "；".join(f"{getattr(i, 'order', '')}. {i.code} {getattr(i, 'text', '')}" for i in items)


def _add_version(criteria_set, items, *, actor, note) -> CriteriaSetVersion:
    last = criteria_set.versions.order_by("-number").values_list("number", flat=True).first()
    version = CriteriaSetVersion.objects.create(
        criteria_set=criteria_set,
        number=(last or 0) + 1,
        note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    CriteriaSetItem.objects.bulk_create(CriteriaSetItem(version=version, **i) for i in items)
    return version


@transaction.atomic
def criteria_set_create(*, actor, slug, name, name_en="", description="", items, note=""):
    """A new set in the library with its first version."""
    items = _clean_items(items)
    if CriteriaSet.objects.filter(slug=slug).exists():
        raise QuestionnaireRefused(_("A criteria set with this slug exists already."))
    criteria_set = CriteriaSet.objects.create(
        slug=slug, name=name, name_en=name_en, description=description
    )
    version = _add_version(criteria_set, items, actor=actor, note=note)
    audit_record(
        "questionnaire_created",
        actor=actor,
        subject=f"{criteria_set.name} v{version.number}",
        new=_summary(version.items.all()),
        reason=note,
    )
    return criteria_set


def criteria_set_copy(source: CriteriaSet, *, actor, slug, name, name_en="") -> CriteriaSet:
    """A new set starting from the current version of another."""
    version = source.current_version()
    items = [{f: getattr(i, f) for f in ITEM_FIELDS} for i in version.items.all()]
    return criteria_set_create(
        actor=actor,
        slug=slug,
        name=name,
        name_en=name_en,
        description=source.description,
        items=items,
        note=_("Copied from %(set)s v%(n)d") % {"set": source.name, "n": version.number},
    )


@transaction.atomic
def criteria_set_revise(criteria_set: CriteriaSet, *, actor, items, note="") -> CriteriaSetVersion:
    """Editing a set makes its next version; earlier versions, and the campaigns that
    took them, stay as they are."""
    criteria_set = CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)
    items = _clean_items(items)
    current = criteria_set.current_version()
    before = [{f: getattr(i, f) for f in ITEM_FIELDS} for i in current.items.all()]
    key = lambda item: (item["order"], item["code"])  # noqa: E731
    if sorted(before, key=key) == sorted(items, key=key):
        raise QuestionnaireRefused(_("Nothing was changed: no new version was made."))
    version = _add_version(criteria_set, items, actor=actor, note=note)
    audit_record(
        "questionnaire_revised",
        actor=actor,
        subject=f"{criteria_set.name} v{version.number}",
        old=_summary(current.items.all()),
        new=_summary(version.items.all()),
        reason=note,
    )
    return version


def default_criteria_set() -> CriteriaSet | None:
    return CriteriaSet.objects.filter(is_default=True).first()


def _criteria_from(version: CriteriaSetVersion) -> list[Criterion]:
    """The campaign's own copies of a version's questions."""
    return [
        Criterion.objects.create(
            code=item.code, **{CRITERION_FIELD[f]: getattr(item, f) for f in CRITERION_FIELD}
        )
        for item in version.items.all()
    ]


def _forget(criteria: Iterable[Criterion]) -> None:
    """Delete copies no campaign uses any more (never the shared default rows, never
    one that an answer, a check or a showcase still points to)."""
    unused = Criterion.objects.filter(pk__in=[c.pk for c in criteria], is_default=False)
    for criterion in unused.annotate(n=Count("campaigns")).filter(n=0):
        try:
            with transaction.atomic():
                criterion.delete()
        except ProtectedError:
            pass


@transaction.atomic
def campaign_create_with_set(version: CriteriaSetVersion, *, actor, **fields) -> Campaign:
    """A new draft campaign asking the questions of `version` (the console's way to
    create a campaign; evaluations.campaigns.campaign_create underneath)."""
    campaign = campaigns.campaign_create(actor=actor, criteria=_criteria_from(version), **fields)
    CampaignQuestionnaire.objects.create(campaign=campaign, version=version)
    audit_record(
        "questionnaire_taken",
        actor=actor,
        campaign=campaign,
        new=str(version),
        reason=_summary(version.items.all()),
    )
    return campaign


def campaign_questions_refusal(campaign: Campaign) -> str | None:
    """Why a campaign's questions cannot change now, or None: frozen once rating opens."""
    if campaigns.campaign_edit_refusal(campaign) is not None:
        return _("The questions are frozen: rating has opened for this campaign.")
    return None


def _lock(campaign: Campaign) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    refusal = campaign_questions_refusal(campaign)
    if refusal:
        raise QuestionnaireRefused(refusal)
    return campaign


@transaction.atomic
def campaign_take_set(campaign: Campaign, version: CriteriaSetVersion, *, actor) -> Campaign:
    """Replace a draft's questions by those of another set (or version)."""
    campaign = _lock(campaign)
    before = list(campaign.criteria.order_by("order", "code"))
    taken = CampaignQuestionnaire.objects.filter(campaign=campaign).first()
    campaign.criteria.set(_criteria_from(version))
    _forget(before)
    CampaignQuestionnaire.objects.update_or_create(
        campaign=campaign, defaults={"version": version, "revision": 0}
    )
    audit_record(
        "questionnaire_taken",
        actor=actor,
        campaign=campaign,
        old=str(taken.version) if taken else "；".join(c.name for c in before),
        new=str(version),
        reason=_summary(version.items.all()),
    )
    campaign_changed.send(sender=Campaign, campaign=campaign)
    return campaign


def _question_line(criterion: Criterion) -> str:
    return f"{criterion.order}. {criterion.name}｜{criterion.description}｜{criterion.name_en}"


@transaction.atomic
def campaign_questions_update(campaign: Campaign, changes: Mapping[int, Mapping], *, actor) -> int:
    """Adjust a draft's questions: `changes` maps a criterion id of the campaign to its
    new text, hint, English text and hint, order. One audit entry per question changed,
    before and after; returns how many changed. A row another campaign shares (the 2020
    defaults) is copied first, so no other campaign changes."""
    campaign = _lock(campaign)
    own = {c.pk: c for c in campaign.criteria.annotate(n=Count("campaigns"))}
    if set(changes) - set(own):
        raise QuestionnaireRefused(_("This question is not one of the campaign's."))
    changed = 0
    for pk, values in changes.items():
        criterion = own[pk]
        wanted = {CRITERION_FIELD[f]: values[f] for f in QUESTION_FIELDS if f in values}
        if not str(wanted.get("name", criterion.name)).strip():
            raise QuestionnaireRefused(_("Each question needs a code and a text."))
        if all(getattr(criterion, f) == v for f, v in wanted.items()):
            continue
        before = _question_line(criterion)
        if criterion.n > 1 or criterion.is_default:
            shared = criterion
            criterion = Criterion.objects.get(pk=pk)
            criterion.pk = None
            criterion.is_default = False
            criterion.save()
            campaign.criteria.remove(shared)
            campaign.criteria.add(criterion)
        for field, value in wanted.items():
            setattr(criterion, field, value)
        criterion.save()
        changed += 1
        audit_record(
            "question_changed",
            actor=actor,
            campaign=campaign,
            subject=f"{campaign.name} · {criterion.code}",
            old=before,
            new=_question_line(criterion),
        )
    if changed:
        CampaignQuestionnaire.objects.filter(campaign=campaign).update(revision=F("revision") + 1)
        campaign_changed.send(sender=Campaign, campaign=campaign)
    return changed
