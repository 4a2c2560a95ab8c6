"""The public notice and the lists (SPEC steps 6 and 8): the preliminary list and
its notice period, objections and their answers, the final list with its ballots
digest, and withdrawals as new revisions.

Each operation is atomic, checks the state it acts on, writes an audit entry
(evaluations.audit) and raises a DomainError with a message for the person when
the rules do not allow it. Each publication is announced by a domain event
(reviews.signals); the portal listens, this module never calls it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.audit import audit_record, require_reason
from evaluations.errors import DomainError
from evaluations.models import AuditEntry, Campaign, Enrollment, ReviewStatus
from evaluations.signals import campaign_changed
from evaluations.tally import TallyRow, campaign_tally

from .ballots import publication_digest
from .filers import contact_kind, objection_contacts_erase
from .models import FeaturedList, Objection, Publication, PublicationEntry, new_reference
from .signals import entry_withdrawn, featured_list_changed, objection_filed, publication_published

Status = Campaign.Status


class PublicationRefused(DomainError):
    pass


class ObjectionRefused(DomainError):
    pass


def _announce(publication: Publication) -> None:
    publication_published.send(sender=Publication, publication=publication)


def _anchor(publication: Publication, *, actor) -> None:
    """Put the publication into the audit chain: one entry naming it with its ballots
    digest; that entry's hash is the audit head printed with the list (page, open
    data, the publication notice). A later edit of the ratings, the digest or the
    chain then contradicts a copy kept outside the database (docs/verification.md)."""
    entry = audit_record(
        "publication_anchored",
        actor=actor,
        campaign=publication.campaign,
        subject=f"{publication.campaign.slug} {publication.kind} r{publication.revision}",
        new=publication.ratings_digest,
    )
    publication.audit_head = entry.entry_hash
    publication.save(update_fields=["ratings_digest", "audit_head"])


def _frozen_entry(publication: Publication, enrollment: Enrollment, row: TallyRow):
    community = enrollment.community
    return PublicationEntry(
        publication=publication,
        enrollment=enrollment,
        community_name=community.name,
        community_name_en=community.name_en,
        district_code=community.district.code,
        district_name=community.district.name,
        district_name_en=community.district.name_en,
        street_name=community.street.name if community.street_id else "",
        company_name=enrollment.company.name,
        company_credit_code=enrollment.company.credit_code,
        households=row.households,
        responses=row.responses,
        satisfied=row.satisfied,
    )


def _copy_entry(publication: Publication, entry: PublicationEntry, **changes):
    fields = {
        f.name: getattr(entry, f.name)
        for f in PublicationEntry._meta.concrete_fields
        if f.name not in ("id", "publication")
    }
    fields.update(changes)
    return PublicationEntry(publication=publication, **fields)


def unreviewed_enrollments(campaign: Campaign):
    """The enrollments nobody has decided on (pending, or returned by the city): the
    preliminary list waits for them, or the city leaves them out explicitly."""
    return campaign.enrollments.filter(
        review_status__in=[ReviewStatus.PENDING, ReviewStatus.RETURNED]
    ).select_related("community__district")


@transaction.atomic
def publication_publish_preliminary(
    campaign: Campaign, *, actor, now=None, leave_out_unreviewed: bool = False
) -> Publication:
    """Publish the approved communities as the preliminary list: the notice period
    (公示) starts, and anyone may object until it ends. Enrollments still undecided
    block it unless the city leaves them out explicitly; each one left out is an
    audit entry, since after this no review decision can be taken on it."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Status.CLOSED:
        raise PublicationRefused(
            _(
                "The preliminary list is published after rating closes; the campaign is “%(status)s”."
            )
            % {"status": campaign.get_status_display()}
        )
    if campaign.publications.exists():
        raise PublicationRefused(_("The preliminary list has already been published."))
    if not campaign.rates_visible:
        raise PublicationRefused(campaign.rates_refusal())
    enrollments = campaign.enrollments.select_related(
        "community__district", "community__street", "company"
    )
    waiting = enrollments.filter(review_status=ReviewStatus.RECOMMENDED).count()
    if waiting:
        raise PublicationRefused(
            _("%(n)d recommendations still wait for the city's decision.") % {"n": waiting}
        )
    unreviewed = list(unreviewed_enrollments(campaign))
    if unreviewed and not leave_out_unreviewed:
        raise PublicationRefused(
            _(
                "%(n)d communities are not decided yet: %(names)s. Decide them, or confirm "
                "that they are left out of the list."
            )
            % {
                "n": len(unreviewed),
                "names": "、".join(e.community.name for e in unreviewed[:20])
                + ("…" if len(unreviewed) > 20 else ""),
            }
        )
    approved = list(enrollments.filter(review_status=ReviewStatus.APPROVED))
    if not approved:
        raise PublicationRefused(_("No approved community: there is nothing to publish."))
    tally = campaign_tally(campaign)
    not_eligible = [e.community.name for e in approved if not tally[e.pk].eligible]
    if not_eligible:  # the rules changed under an approval: never publish such an entry
        raise PublicationRefused(
            _("Not eligible but approved: %(names)s.") % {"names": "、".join(not_eligible)}
        )
    publication = Publication.objects.create(
        campaign=campaign,
        kind=Publication.Kind.PRELIMINARY,
        revision=1,
        published_at=now,
        published_by=actor,
        notice_ends_at=now + timedelta(days=campaign.notice_days),
    )
    PublicationEntry.objects.bulk_create(
        [_frozen_entry(publication, e, tally[e.pk]) for e in approved]
    )
    for enrollment in unreviewed:
        audit_record(
            "left_out",
            actor=actor,
            enrollment=enrollment,
            campaign=campaign,
            old=enrollment.review_status,
            reason=_("Not decided when the preliminary list was published."),
        )
    audit_record(
        "preliminary_published",
        actor=actor,
        campaign=campaign,
        new=_("%(n)d communities; notice until %(until)s")
        % {
            "n": len(approved),
            "until": timezone.localtime(publication.notice_ends_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    _anchor(publication, actor=actor)
    _announce(publication)
    return publication


def _unique_reference() -> str:
    while True:
        reference = new_reference()
        if not Objection.objects.filter(reference=reference).exists():
            return reference


@transaction.atomic
def objection_file(
    entry: PublicationEntry,
    *,
    contact_name: str,
    contact: str,
    text: str,
    photo=None,
    client_ip: str | None = None,
    notify: bool = False,
    now=None,
) -> Objection:
    """File an objection during the notice period. It gets a reference number (受理编号)
    for its public status page; with `notify`, the filer is written to at `contact`
    (an e-mail address or a phone number) once it is answered."""
    now = now or timezone.now()
    entry = PublicationEntry.objects.select_related("publication__campaign").get(pk=entry.pk)
    publication = entry.publication
    if not publication.notice_open(now) or publication.campaign.status != Status.CLOSED:
        raise ObjectionRefused(
            _("The notice period of this list has ended; objections are closed.")
        )
    if not (contact_name or "").strip() or not (contact or "").strip() or not (text or "").strip():
        raise ObjectionRefused(_("Give your name, a phone number or e-mail, and the objection."))
    if notify and contact_kind(contact) is None:
        raise ObjectionRefused(
            _("To be told of the answer, give an e-mail address or a phone number we can write to.")
        )
    objection = Objection.objects.create(
        entry=entry,
        reference=_unique_reference(),
        contact_name=contact_name.strip()[:50],
        contact=contact.strip()[:100],
        notify=bool(notify),
        text=text.strip()[:2000],
        photo=photo or "",
        filed_at=now,
        client_ip=client_ip or None,
    )
    audit_record(
        "objection_filed",
        enrollment=entry.enrollment,
        campaign=publication.campaign,
        subject=f"{entry.community_name} · {objection.reference_display}",
    )
    objection_filed.send(sender=Objection, objection=objection)
    return objection


def _confirms_for_city(actor) -> bool:
    """Who confirms an uphold that drops a city-approved community: the city bureau
    (the role that approves recommendations)."""
    return actor.has_perm("evaluations.approve_recommendation")


def _objection_locked(objection: Objection) -> Objection:
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("entry__enrollment", "entry__publication__campaign")
        .get(pk=objection.pk)
    )
    return objection


def _refuse_after_final(objection: Objection) -> None:
    if objection.entry.publication.campaign.status != Status.CLOSED:
        raise ObjectionRefused(
            _("The final list is published; objections can no longer change it.")
        )


def _subject(objection: Objection) -> str:
    return f"{objection.entry.community_name} · {objection.reference_display or objection.pk}"


def _objection_close(objection: Objection, *, actor, upheld: bool, answer: str, now) -> None:
    """The answer takes effect: the objection is answered, an upheld one drops its
    community, and the filer who asked is told after the commit."""
    objection.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
    objection.answer = answer
    objection.answered_by = actor
    objection.answered_at = now
    objection.save()
    enrollment = objection.entry.enrollment
    if upheld and enrollment.review_status != ReviewStatus.DROPPED:
        old = enrollment.review_status
        enrollment.review_status = ReviewStatus.DROPPED
        enrollment.review_reason = answer
        enrollment.save(update_fields=["review_status", "review_reason"])
        audit_record(
            "dropped",
            actor=actor,
            enrollment=enrollment,
            old=old,
            new=ReviewStatus.DROPPED,
            reason=answer,
        )
    audit_record(
        "objection_upheld" if upheld else "objection_dismissed",
        actor=actor,
        enrollment=enrollment,
        campaign=objection.entry.publication.campaign,
        subject=_subject(objection),
        reason=answer,
    )
    if objection.notify:
        from .tasks import objection_tell_filer  # the task module imports this one

        pk = objection.pk
        transaction.on_commit(lambda: objection_tell_filer.delay(pk))


@transaction.atomic
def objection_answer(
    objection: Objection, *, actor, upheld: bool, answer: str, now=None
) -> Objection:
    """Answer an objection. Upholding one drops its community from the final list; when
    that community was approved by the city and the answer is not the city's, the
    uphold waits for the city's confirmation (objection_confirm_uphold)."""
    now = now or timezone.now()
    objection = _objection_locked(objection)
    answer = require_reason(answer)
    if objection.status != Objection.Status.OPEN:
        raise ObjectionRefused(_("This objection has already been answered."))
    _refuse_after_final(objection)
    enrollment = objection.entry.enrollment
    if (
        upheld
        and enrollment.review_status == ReviewStatus.APPROVED
        and not _confirms_for_city(actor)
    ):
        objection.status = Objection.Status.AWAITING_CITY
        objection.answer = answer
        objection.proposed_by = actor
        objection.proposed_at = now
        objection.save()
        audit_record(
            "objection_uphold_proposed",
            actor=actor,
            enrollment=enrollment,
            campaign=objection.entry.publication.campaign,
            subject=_subject(objection),
            old=Objection.Status.OPEN,
            new=Objection.Status.AWAITING_CITY,
            reason=answer,
        )
        return objection
    _objection_close(objection, actor=actor, upheld=upheld, answer=answer, now=now)
    return objection


@transaction.atomic
def objection_confirm_uphold(
    objection: Objection, *, actor, confirm: bool, reason: str = "", now=None
) -> Objection:
    """The city's answer to a district's uphold: confirmed, the community leaves the
    list (with the district's answer as the public answer); sent back, the objection is
    open again for another answer, and the reason is recorded."""
    now = now or timezone.now()
    objection = _objection_locked(objection)
    if not _confirms_for_city(actor):
        raise ObjectionRefused(_("Only the city bureau confirms this uphold."))
    if objection.status != Objection.Status.AWAITING_CITY:
        raise ObjectionRefused(_("This objection is not awaiting the city's confirmation."))
    _refuse_after_final(objection)
    if confirm:
        audit_record(
            "objection_uphold_confirmed",
            actor=actor,
            enrollment=objection.entry.enrollment,
            campaign=objection.entry.publication.campaign,
            subject=_subject(objection),
            old=Objection.Status.AWAITING_CITY,
            new=Objection.Status.UPHELD,
        )
        _objection_close(objection, actor=actor, upheld=True, answer=objection.answer, now=now)
        return objection
    reason = require_reason(reason)
    objection.status = Objection.Status.OPEN
    objection.answer = ""
    objection.proposed_by = None
    objection.proposed_at = None
    objection.save()
    audit_record(
        "objection_uphold_refused",
        actor=actor,
        enrollment=objection.entry.enrollment,
        campaign=objection.entry.publication.campaign,
        subject=_subject(objection),
        old=Objection.Status.AWAITING_CITY,
        new=Objection.Status.OPEN,
        reason=reason,
    )
    return objection


def uphold_consequence(objection: Objection) -> dict:
    """What confirming an uphold does, for the city's confirm page: which community
    leaves which list (with its rate on the preliminary list), and its district's count
    of approved communities before and after."""
    entry = objection.entry
    listed = entry.publication.entries.filter(
        district_code=entry.district_code, enrollment__review_status=ReviewStatus.APPROVED
    ).count()
    return {"entry": entry, "district_listed": listed, "district_listed_after": listed - 1}


def campaign_stage(campaign: Campaign, now=None) -> str:
    """Where a campaign stands, as people name it: its status, except that a closed
    campaign whose preliminary list is out is "notice" (公示中) during the notice
    period and "notice_ended" after it, until the final list. Reads
    `campaign.publications.all()`, so a listing can prefetch them."""
    if campaign.status != Status.CLOSED:
        return campaign.status
    now = now or timezone.now()
    preliminary = [p for p in campaign.publications.all() if p.kind == Publication.Kind.PRELIMINARY]
    if not preliminary:
        return campaign.status
    return "notice" if preliminary[0].notice_open(now) else "notice_ended"


def campaign_stage_display(campaign: Campaign, now=None) -> str:
    return AuditEntry._value_display(campaign_stage(campaign, now))


@transaction.atomic
def publication_publish_final(campaign: Campaign, *, actor, now=None) -> Publication:
    """After the notice period, with every objection answered: the final list,
    frozen; the campaign becomes published."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Status.CLOSED:
        raise PublicationRefused(
            _("The final list can be published once, from a closed campaign; it is “%(status)s”.")
            % {"status": campaign.get_status_display()}
        )
    preliminary = campaign.publications.filter(kind=Publication.Kind.PRELIMINARY).first()
    if preliminary is None:
        raise PublicationRefused(_("Publish the preliminary list for public notice first."))
    if preliminary.notice_open(now):
        raise PublicationRefused(
            _("The notice period runs until %(until)s.")
            % {"until": timezone.localtime(preliminary.notice_ends_at).strftime("%Y-%m-%d %H:%M")}
        )
    open_objections = Objection.objects.filter(
        entry__publication=preliminary,
        status__in=[Objection.Status.OPEN, Objection.Status.AWAITING_CITY],
    ).count()
    if open_objections:
        raise PublicationRefused(
            _("%(n)d objections are not answered yet.") % {"n": open_objections}
        )
    final = Publication.objects.create(
        campaign=campaign,
        kind=Publication.Kind.FINAL,
        revision=1,
        published_at=now,
        published_by=actor,
    )
    kept = preliminary.entries.select_related("enrollment").filter(
        enrollment__review_status=ReviewStatus.APPROVED
    )
    PublicationEntry.objects.bulk_create([_copy_entry(final, entry) for entry in kept])
    # The ratings are frozen (rating closed): fix the digest of the listed ones.
    final.ratings_digest = publication_digest(final)
    old = campaign_stage(campaign, now)  # "notice ended", not the bare "closed"
    campaign.status = Status.PUBLISHED
    campaign.save(update_fields=["status"])
    audit_record(
        "final_published",
        actor=actor,
        campaign=campaign,
        old=old,
        new=campaign.status,
        reason=_("%(n)d communities on the final list") % {"n": kept.count()},
    )
    _anchor(final, actor=actor)
    objection_contacts_erase(campaign, now=now)
    _announce(final)
    campaign_changed.send(sender=Campaign, campaign=campaign)
    return final


@transaction.atomic
def entry_withdraw(entry: PublicationEntry, *, actor, reason: str, now=None) -> Publication:
    """Withdraw an entry of the current final list: a new revision with a change note.
    Earlier revisions stay as they were."""
    reason = require_reason(reason)
    now = now or timezone.now()
    entry = PublicationEntry.objects.select_related("publication__campaign").get(pk=entry.pk)
    campaign = Campaign.objects.select_for_update().get(pk=entry.publication.campaign_id)
    current = Publication.objects.final().filter(campaign=campaign).order_by("-revision").first()
    if current is None or entry.publication_id != current.pk:
        raise PublicationRefused(_("Only an entry of the current published list can be withdrawn."))
    if entry.status == PublicationEntry.Status.WITHDRAWN:
        raise PublicationRefused(_("This entry has already been withdrawn."))
    revision = (
        campaign.publications.filter(kind=Publication.Kind.FINAL).aggregate(r=Max("revision"))["r"]
        + 1
    )
    new = Publication.objects.create(
        campaign=campaign,
        kind=Publication.Kind.FINAL,
        revision=revision,
        published_at=now,
        published_by=actor,
        change_note=_("Withdrawn: %(community)s（%(district)s）. %(reason)s")
        % {"community": entry.community_name, "district": entry.district_name, "reason": reason},
    )
    # The same entries and ratings: only a status changes.
    new.ratings_digest = current.ratings_digest
    copies = []
    for other in current.entries.all():
        if other.pk == entry.pk:
            copies.append(
                _copy_entry(
                    new, other, status=PublicationEntry.Status.WITHDRAWN, withdrawal_reason=reason
                )
            )
        else:
            copies.append(_copy_entry(new, other))
    PublicationEntry.objects.bulk_create(copies)
    audit_record(
        "entry_withdrawn",
        actor=actor,
        enrollment=entry.enrollment,
        campaign=campaign,
        subject=f"{entry.community_name}（{entry.district_name}）",
        old=f"r{current.revision}",
        new=f"r{new.revision}",
        reason=reason,
    )
    _anchor(new, actor=actor)
    entry_withdrawn.send(sender=PublicationEntry, entry=entry)
    return new


@transaction.atomic
def publication_feature(publication: Publication, *, actor, now=None) -> FeaturedList:
    """The city chooses the list the public home page leads with: a final list of a
    public campaign (never a practice one). The home page shows that campaign's current
    revision; without a choice, the latest final list."""
    publication = Publication.objects.select_related("campaign").get(pk=publication.pk)
    campaign = publication.campaign
    if publication.kind != Publication.Kind.FINAL:
        raise PublicationRefused(_("Only a final list can be featured on the home page."))
    if campaign.is_practice or campaign.status not in (Status.PUBLISHED, Status.ARCHIVED):
        raise PublicationRefused(
            _("A practice or unpublished campaign's list is never featured on the home page.")
        )
    current = FeaturedList.objects.select_related("publication").first()
    if current is not None and current.publication.campaign_id == campaign.pk:
        raise PublicationRefused(_("This list is already the one featured on the home page."))
    featured = FeaturedList.objects.create(
        publication=publication, chosen_by=actor, chosen_at=now or timezone.now()
    )
    audit_record(
        "featured_list_chosen",
        actor=actor,
        campaign=campaign,
        subject=f"{campaign.slug} r{publication.revision}",
        old=current.publication.campaign.slug if current is not None else "",
        new=campaign.slug,
    )
    featured_list_changed.send(sender=FeaturedList, featured=featured)
    return featured
