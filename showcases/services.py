"""Showcases (风采展示) and company replies: submitted by the property company
that served a community during a campaign, seen by the public only once the
bureau has approved them (SPEC, “Showcase”; issue 4, items 1 and 3).

Each operation is atomic, checks the state it acts on (locking the row it
changes), writes an AuditEntry and raises a ShowcaseRefused with a message for
the person when the rules do not allow it. Views check *who* may act
(console.access and the company scope in showcase_views); these functions
check *whether* the act is allowed now.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.audit import audit_record
from evaluations.errors import DomainError
from evaluations.models import Campaign, Criterion, Enrollment
from uploads.photos import ProcessedPhoto, delete_showcase_photo, save_showcase_photo

from .models import CompanyReply, HeadlineProposal, ModerationStatus, Showcase, ShowcaseItem

Kind = ShowcaseItem.Kind
EDITABLE = (ModerationStatus.PENDING, ModerationStatus.REJECTED)
REPLY_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 300  # ShowcaseItem.review_note, CompanyReply.review_note


class ShowcaseRefused(DomainError):
    pass


def submissions_open(campaign: Campaign) -> bool:
    """Showcases are published with the list, so material may come in at any
    stage of a campaign; an archived campaign no longer changes."""
    return campaign.status != Campaign.Status.ARCHIVED


def _require_open(enrollment: Enrollment) -> None:
    if not submissions_open(enrollment.campaign):
        raise ShowcaseRefused(_("The campaign is archived: its showcase no longer changes."))


def _describe(item: ShowcaseItem) -> str:
    """How an item is named in the audit log."""
    text = item.title or item.body
    if item.kind == Kind.FIGURE and item.figure_value is not None:
        text = f"{item.figure_value}{item.figure_unit} {item.body}"
    return f"{item.showcase.enrollment.community.name} · {item.get_kind_display()}: {text}"[:300]


def _content(item: ShowcaseItem) -> str:
    """An item's text as the audit log's before/after value."""
    parts = [item.criterion.name if item.criterion_id else "", item.title]
    if item.kind == Kind.FIGURE and item.figure_value is not None:
        parts.append(f"{item.figure_value}{item.figure_unit}")
    parts.append(item.body)
    return " · ".join(p for p in parts if p)[:300]


def _check_fields(
    enrollment: Enrollment,
    kind: str,
    *,
    criterion: Criterion | None,
    title: str,
    body: str,
    figure_value: int | None,
    figure_unit: str,
    has_photo: bool,
) -> None:
    if kind not in Kind.values:
        raise ShowcaseRefused(_("Unknown kind of showcase material."))
    if criterion is not None and not enrollment.campaign.criteria.filter(pk=criterion.pk).exists():
        raise ShowcaseRefused(_("This is not one of the campaign's criteria."))
    if not body:
        raise ShowcaseRefused(_("Write the text."))
    if kind == Kind.PHOTO:
        if not has_photo:
            raise ShowcaseRefused(_("Choose a photo."))
        if criterion is None:
            raise ShowcaseRefused(_("Choose the criterion the photo shows."))
    if kind == Kind.FIGURE and (figure_value is None or figure_value < 0 or not figure_unit):
        raise ShowcaseRefused(_("A figure needs a number and its unit."))
    if kind in (Kind.HIGHLIGHT, Kind.STORY) and not title:
        raise ShowcaseRefused(_("Give a title."))


def _locked_enrollment(enrollment: Enrollment) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign", "community")
        .get(pk=enrollment.pk)
    )


def _locked_item(item: ShowcaseItem) -> ShowcaseItem:
    return (
        ShowcaseItem.objects.select_for_update(of=("self",))
        .select_related("showcase__enrollment__campaign", "showcase__enrollment__community")
        .get(pk=item.pk)
    )


@transaction.atomic
def showcase_for(enrollment: Enrollment) -> Showcase:
    showcase, _created = Showcase.objects.get_or_create(enrollment=enrollment)
    return showcase


@transaction.atomic
def showcase_item_submit(
    enrollment: Enrollment,
    *,
    actor,
    kind: str,
    criterion: Criterion | None = None,
    title: str = "",
    body: str = "",
    figure_value: int | None = None,
    figure_unit: str = "",
    photo: ProcessedPhoto | None = None,
) -> ShowcaseItem:
    """Add a photo with its caption, a figure, a highlight or a story; it waits
    for the bureau's review."""
    enrollment = _locked_enrollment(enrollment)
    _require_open(enrollment)
    title, body, figure_unit = title.strip(), body.strip(), figure_unit.strip()
    _check_fields(
        enrollment,
        kind,
        criterion=criterion,
        title=title,
        body=body,
        figure_value=figure_value,
        figure_unit=figure_unit,
        has_photo=photo is not None,
    )
    showcase = showcase_for(enrollment)
    last = showcase.items.aggregate(last=Max("order"))["last"] or 0
    item = ShowcaseItem(
        showcase=showcase,
        kind=kind,
        criterion=criterion,
        title=title,
        body=body,
        figure_value=figure_value if kind == Kind.FIGURE else None,
        figure_unit=figure_unit if kind == Kind.FIGURE else "",
        order=last + 1,
        status=ModerationStatus.PENDING,
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    if kind == Kind.PHOTO and photo is not None:
        save_showcase_photo(item, photo, save=False)
    item.save()
    audit_record(
        "showcase_item_submitted",
        actor=actor,
        enrollment=enrollment,
        subject=_describe(item),
        new=_content(item),
    )
    return item


@transaction.atomic
def showcase_item_update(
    item: ShowcaseItem,
    *,
    actor,
    criterion: Criterion | None = None,
    title: str = "",
    body: str = "",
    figure_value: int | None = None,
    figure_unit: str = "",
    photo: ProcessedPhoto | None = None,
) -> ShowcaseItem:
    """Change an item that is awaiting review or was rejected; it goes back to
    awaiting review. Approved material is public and is not edited here."""
    item = _locked_item(item)
    enrollment = item.showcase.enrollment
    _require_open(enrollment)
    if item.status not in EDITABLE:
        raise ShowcaseRefused(
            _("Approved material is public and can no longer be changed; ask the bureau.")
        )
    title, body, figure_unit = title.strip(), body.strip(), figure_unit.strip()
    _check_fields(
        enrollment,
        item.kind,
        criterion=criterion,
        title=title,
        body=body,
        figure_value=figure_value,
        figure_unit=figure_unit,
        has_photo=photo is not None or bool(item.image),
    )
    old = _content(item)
    item.criterion = criterion
    item.title = title
    item.body = body
    if item.kind == Kind.FIGURE:
        item.figure_value, item.figure_unit = figure_value, figure_unit
    if item.kind == Kind.PHOTO and photo is not None:
        save_showcase_photo(item, photo, save=False)
        item.image_is_illustration = False
    item.status = ModerationStatus.PENDING
    item.review_note = ""
    item.reviewed_by = None
    item.reviewed_at = None
    item.submitted_by = actor
    item.submitted_at = timezone.now()
    item.save()
    audit_record(
        "showcase_item_updated",
        actor=actor,
        enrollment=enrollment,
        subject=_describe(item),
        old=old,
        new=_content(item),
    )
    return item


@transaction.atomic
def showcase_item_withdraw(item: ShowcaseItem, *, actor) -> None:
    """Take back an item that was never public (awaiting review or rejected).
    The row and its photo files go; the audit log keeps what it said."""
    item = _locked_item(item)
    enrollment = item.showcase.enrollment
    if item.status not in EDITABLE:
        raise ShowcaseRefused(
            _("Approved material is public and can no longer be changed; ask the bureau.")
        )
    audit_record(
        "showcase_item_withdrawn",
        actor=actor,
        enrollment=enrollment,
        subject=_describe(item),
        old=_content(item),
    )
    delete_showcase_photo(item)
    item.delete()


def _moderate(obj, *, actor, approve: bool, note: str) -> str:
    """The bureau's decision on a pending item or reply (a locked row); returns the note."""
    note = _review_note(note, required=not approve)
    if obj.status != ModerationStatus.PENDING:
        raise ShowcaseRefused(
            _("This has already been reviewed (“%(status)s”).")
            % {"status": obj.get_status_display()}
        )
    obj.status = ModerationStatus.APPROVED if approve else ModerationStatus.REJECTED
    obj.review_note = note
    obj.reviewed_by = actor
    obj.reviewed_at = timezone.now()
    obj.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    return note


@transaction.atomic
def showcase_item_review(
    item: ShowcaseItem, *, actor, approve: bool, note: str = ""
) -> ShowcaseItem:
    """Approve an item (the public sees it from now on) or reject it with a
    note the company reads."""
    item = _locked_item(item)
    note = _moderate(item, actor=actor, approve=approve, note=note)
    audit_record(
        "showcase_item_approved" if approve else "showcase_item_rejected",
        actor=actor,
        enrollment=item.showcase.enrollment,
        subject=_describe(item),
        reason=note,
    )
    return item


def _headline_text(obj) -> str:
    """A headline and its subheadline as the audit log's before/after value."""
    return " / ".join(p for p in (obj.headline, obj.subheadline) if p)


@transaction.atomic
def showcase_headline_set(
    enrollment: Enrollment, *, actor, headline: str, subheadline: str = ""
) -> HeadlineProposal | None:
    """The company proposes a headline. It goes public only once the bureau approves
    it (like the other showcase text); until then the headline approved before stays
    public. A proposal already waiting is changed, not doubled. Clearing both lines
    takes the public headline down at once (nothing new goes public) and withdraws
    what was waiting; returns None then."""
    enrollment = _locked_enrollment(enrollment)
    _require_open(enrollment)
    showcase = showcase_for(enrollment)
    headline, subheadline = headline.strip()[:200], subheadline.strip()[:200]
    waiting = (
        showcase.headline_proposals.select_for_update()
        .filter(status=ModerationStatus.PENDING)
        .first()
    )
    if not headline and not subheadline:
        if waiting is None and not showcase.headline and not showcase.subheadline:
            raise ShowcaseRefused(_("There is no headline to remove."))
        if waiting is not None:
            waiting.delete()
        old = _headline_text(showcase)
        showcase.headline = showcase.subheadline = ""
        showcase.save(update_fields=["headline", "subheadline"])
        audit_record(
            "showcase_headline_removed",
            actor=actor,
            enrollment=enrollment,
            subject=enrollment.community.name,
            old=old or (_headline_text(waiting) if waiting else ""),
        )
        return None
    if (headline, subheadline) == (showcase.headline, showcase.subheadline):
        if waiting is None:
            raise ShowcaseRefused(_("This is already the public headline."))
        # Back to the public headline: what was waiting is withdrawn.
        audit_record(
            "showcase_headline_withdrawn",
            actor=actor,
            enrollment=enrollment,
            subject=enrollment.community.name,
            old=_headline_text(waiting),
        )
        waiting.delete()
        return None
    proposal = waiting or HeadlineProposal(showcase=showcase)
    old = _headline_text(waiting) if waiting else _headline_text(showcase)
    proposal.headline, proposal.subheadline = headline, subheadline
    proposal.status = ModerationStatus.PENDING
    proposal.submitted_by = actor
    proposal.submitted_at = timezone.now()
    proposal.save()
    audit_record(
        "showcase_headline_submitted",
        actor=actor,
        enrollment=enrollment,
        subject=enrollment.community.name,
        old=old,
        new=_headline_text(proposal),
    )
    return proposal


@transaction.atomic
def headline_review(
    proposal: HeadlineProposal, *, actor, approve: bool, note: str = ""
) -> HeadlineProposal:
    """Approve a proposed headline (it replaces the public one at once) or reject it
    with a note the company reads (the public headline stays as it was)."""
    proposal = (
        HeadlineProposal.objects.select_for_update(of=("self",))
        .select_related("showcase__enrollment__campaign", "showcase__enrollment__community")
        .get(pk=proposal.pk)
    )
    note = _moderate(proposal, actor=actor, approve=approve, note=note)
    enrollment = proposal.showcase.enrollment
    showcase = Showcase.objects.select_for_update().get(pk=proposal.showcase_id)
    old = _headline_text(showcase)
    if approve:
        showcase.headline, showcase.subheadline = proposal.headline, proposal.subheadline
        showcase.save(update_fields=["headline", "subheadline"])
    audit_record(
        "showcase_headline_approved" if approve else "showcase_headline_rejected",
        actor=actor,
        enrollment=enrollment,
        subject=enrollment.community.name,
        old=old,
        new=_headline_text(proposal),
        reason=note,
    )
    return proposal


def _review_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ShowcaseRefused(
            _("Give a reason: the company reads it and can correct the material.")
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise ShowcaseRefused(
            _("The note may have at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}
        )
    return note


# --- company replies ----------------------------------------------------------------


def reply_possible(enrollment: Enrollment) -> bool:
    """A reply stands under the community's entry on a published list."""
    return submissions_open(enrollment.campaign) and enrollment.publication_entries.exists()


@transaction.atomic
def reply_submit(enrollment: Enrollment, *, actor, text: str) -> CompanyReply:
    """The company's reply under its community's published entry; shown once
    the bureau has approved it. One reply waits for review at a time."""
    enrollment = _locked_enrollment(enrollment)
    _require_open(enrollment)
    if not enrollment.publication_entries.exists():
        raise ShowcaseRefused(
            _("A reply stands under the community's entry on a published list; there is none yet.")
        )
    text = (text or "").strip()
    if not text:
        raise ShowcaseRefused(_("Write the reply."))
    if len(text) > REPLY_MAX_LENGTH:
        raise ShowcaseRefused(
            _("The reply may have at most %(n)d characters.") % {"n": REPLY_MAX_LENGTH}
        )
    if enrollment.replies.filter(status=ModerationStatus.PENDING).exists():
        raise ShowcaseRefused(
            _("A reply is already awaiting review; wait for the bureau's decision.")
        )
    reply = CompanyReply.objects.create(
        enrollment=enrollment,
        company=enrollment.company,
        text=text,
        status=ModerationStatus.PENDING,
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    audit_record(
        "reply_submitted",
        actor=actor,
        enrollment=enrollment,
        subject=f"{enrollment.community.name} · {enrollment.company.name}",
        new=text,
    )
    return reply


@transaction.atomic
def reply_review(reply: CompanyReply, *, actor, approve: bool, note: str = "") -> CompanyReply:
    reply = (
        CompanyReply.objects.select_for_update(of=("self",))
        .select_related("enrollment__campaign", "enrollment__community", "company")
        .get(pk=reply.pk)
    )
    note = _moderate(reply, actor=actor, approve=approve, note=note)
    audit_record(
        "reply_approved" if approve else "reply_rejected",
        actor=actor,
        enrollment=reply.enrollment,
        subject=f"{reply.enrollment.community.name} · {reply.company.name}",
        old=reply.text,
        reason=note,
    )
    return reply
