"""Console pages for showcases (风采展示) and company replies.

Property-company staff submit material for the enrollments of their own
company — the company that served the community during the campaign, not
whoever serves it today — and bureau staff with `moderate_showcase` approve or
reject it, within their districts (the city: all). As everywhere in the
console: a missing permission is a 403, an object outside one's scope a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import StaffProfile
from console.access import (
    access_enrollment,
    is_city,
    permission_required,
    profile_of,
    scope_enrollments,
)
from console.showcase_forms import ITEM_FORMS, HeadlineForm, ModerationForm, ReplyForm
from evaluations import throttle
from evaluations.errors import DomainError
from evaluations.models import Enrollment
from showcases import services as showcases
from showcases.models import CompanyReply, HeadlineProposal, ModerationStatus, ShowcaseItem

Kind = ShowcaseItem.Kind
PAGE_SIZE = 50
UPLOADS_GROUP = "showcase-photo-uploads"
DEFAULT_UPLOADS_RATE = "60/h"

ADD_TITLES = {
    Kind.PHOTO: gettext_lazy("Add a photo"),
    Kind.FIGURE: gettext_lazy("Add a figure"),
    Kind.HIGHLIGHT: gettext_lazy("Add a highlight"),
    Kind.STORY: gettext_lazy("Add a story"),
}
ADD_HINTS = {
    Kind.PHOTO: gettext_lazy(
        "A photo of the work, with the criterion it shows and a caption (画说)."
    ),
    Kind.FIGURE: gettext_lazy("A number, its unit and a sentence that explains it (数说)."),
    Kind.HIGHLIGHT: gettext_lazy("A short title and a few sentences on what the team did (亮点)."),
    Kind.STORY: gettext_lazy("A story of one person or one evening, with a title (暖心故事)."),
}


# --- scope ---------------------------------------------------------------------------


def _own_enrollments(user) -> QuerySet[Enrollment]:
    """The enrollments whose company (during the campaign) is the user's company."""
    profile = profile_of(user)
    if profile is None or profile.role != StaffProfile.Role.COMPANY or not profile.company_id:
        return Enrollment.objects.none()
    return Enrollment.objects.filter(company_id=profile.company_id)


def _own_enrollment(user, pk) -> Enrollment:
    queryset = _own_enrollments(user).select_related(
        "campaign", "community__district", "community__street", "company"
    )
    return access_enrollment(user, pk, queryset)


def _own_item(user, pk) -> ShowcaseItem:
    try:
        return ShowcaseItem.objects.select_related(
            "showcase__enrollment__campaign", "showcase__enrollment__community", "criterion"
        ).get(pk=pk, showcase__enrollment__in=_own_enrollments(user))
    except (ShowcaseItem.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _moderated(user, queryset: QuerySet, path: str) -> QuerySet:
    """Only what lies within the moderator's districts (the city: everything)."""
    if is_city(user):
        return queryset
    in_scope = scope_enrollments(user, Enrollment.objects.all()).values("pk")
    return queryset.filter(**{f"{path}__in": in_scope})


# --- rate limit ----------------------------------------------------------------------


def _uploads_limited(request) -> int | None:
    """Count one photo upload; seconds to wait when over the limit, else None.
    Fails open when the cache is down (the limit protects CPU, not a secret)."""
    rate = getattr(settings, "PHOTO_UPLOADS_RATE", DEFAULT_UPLOADS_RATE)
    usage = throttle.counter_usage(request, UPLOADS_GROUP, rate, increment=True, key="user")
    if usage is None or not usage["should_limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def _upload_refusal(request) -> str | None:
    """When this user has sent too many photos lately, what to tell them; the
    photo is then not even decoded."""
    if not request.FILES:
        return None
    seconds = _uploads_limited(request)
    if seconds is None:
        return None
    return _("You have sent too many photos for now; try again in %(minutes)d minutes.") % {
        "minutes": max(1, -(-seconds // 60))
    }


# --- company staff -------------------------------------------------------------------


@permission_required("showcases.add_showcaseitem")
def showcase_list(request):
    enrollments = (
        _own_enrollments(request.user)
        .select_related("campaign", "community__district", "community__street")
        .annotate(
            n_pending=Count(
                "showcase__items", filter=Q(showcase__items__status=ModerationStatus.PENDING)
            ),
            n_approved=Count(
                "showcase__items", filter=Q(showcase__items__status=ModerationStatus.APPROVED)
            ),
            n_rejected=Count(
                "showcase__items", filter=Q(showcase__items__status=ModerationStatus.REJECTED)
            ),
        )
        .order_by("-campaign__opens_at", "community__district__code", "community__name")
    )
    page = Paginator(enrollments, 100).get_page(request.GET.get("page"))
    return render(request, "console/showcase_list.html", {"page": page})


def _detail_context(request, enrollment: Enrollment, **extra) -> dict:
    showcase = getattr(enrollment, "showcase", None)
    items = list(
        ShowcaseItem.objects.filter(showcase__enrollment=enrollment)
        .select_related("criterion", "reviewed_by")
        .order_by("order", "id")
    )
    # What needs the company's attention first: rejected, then waiting, then public.
    groups = [
        (status, label, [item for item in items if item.status == status])
        for status, label in (
            (ModerationStatus.REJECTED, _("Rejected: change or withdraw")),
            (ModerationStatus.PENDING, _("Awaiting the bureau's review")),
            (ModerationStatus.APPROVED, _("Approved: shown to the public")),
        )
    ]
    replies = list(enrollment.replies.select_related("reviewed_by").order_by("-submitted_at"))
    proposal = showcase.headline_proposals.first() if showcase else None
    context = {
        "enrollment": enrollment,
        "campaign": enrollment.campaign,
        "community": enrollment.community,
        "showcase": showcase,
        "items": items,
        "groups": [group for group in groups if group[2]],
        "open": showcases.submissions_open(enrollment.campaign),
        "kinds": [(kind, ADD_TITLES[kind]) for kind in Kind.values],
        "editable": showcases.EDITABLE,
        # The latest proposal (waiting or rejected) is what the company works on.
        "headline_proposal": proposal,
        "headline_form": HeadlineForm(
            initial={
                "headline": (proposal or showcase).headline if showcase else "",
                "subheadline": (proposal or showcase).subheadline if showcase else "",
            }
        ),
        "replies": replies,
        "reply_pending": any(r.status == ModerationStatus.PENDING for r in replies),
        "reply_possible": showcases.reply_possible(enrollment)
        and request.user.has_perm("showcases.add_companyreply"),
        "reply_form": ReplyForm(),
    }
    context.update(extra)
    return context


@permission_required("showcases.add_showcaseitem")
def showcase_detail(request, pk):
    enrollment = _own_enrollment(request.user, pk)
    return render(request, "console/showcase_detail.html", _detail_context(request, enrollment))


@permission_required("showcases.add_showcaseitem")
def showcase_add(request, pk, kind):
    if kind not in ITEM_FORMS:
        raise Http404
    enrollment = _own_enrollment(request.user, pk)
    if not showcases.submissions_open(enrollment.campaign):
        messages.error(request, _("The campaign is archived: its showcase no longer changes."))
        return redirect("console:showcase", pk=enrollment.pk)
    form_class = ITEM_FORMS[kind]
    refusal = None
    if request.method == "POST" and (refusal := _upload_refusal(request)):
        form = form_class(campaign=enrollment.campaign, initial=request.POST.dict())
    elif request.method == "POST":
        form = form_class(request.POST, request.FILES, campaign=enrollment.campaign)
        if form.is_valid():
            try:
                showcases.showcase_item_submit(
                    enrollment, actor=request.user, kind=kind, **form.service_arguments()
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("Sent. The bureau reviews it before the public sees it.")
                )
                return redirect("console:showcase", pk=enrollment.pk)
    else:
        form = form_class(campaign=enrollment.campaign)
    return render(
        request,
        "console/showcase_item_form.html",
        {
            "enrollment": enrollment,
            "campaign": enrollment.campaign,
            "community": enrollment.community,
            "form": form,
            "kind": kind,
            "title": ADD_TITLES[kind],
            "hint": ADD_HINTS[kind],
            "refusal": refusal,
        },
    )


@permission_required("showcases.change_showcaseitem")
def showcase_item_edit(request, pk):
    item = _own_item(request.user, pk)
    enrollment = item.showcase.enrollment
    if item.status not in showcases.EDITABLE or not showcases.submissions_open(enrollment.campaign):
        messages.error(
            request, _("Approved material is public and can no longer be changed; ask the bureau.")
        )
        return redirect("console:showcase", pk=enrollment.pk)
    form_class = ITEM_FORMS[item.kind]
    refusal = None
    if request.method == "POST" and (refusal := _upload_refusal(request)):
        form = form_class(campaign=enrollment.campaign, item=item, initial=request.POST.dict())
    elif request.method == "POST":
        form = form_class(request.POST, request.FILES, campaign=enrollment.campaign, item=item)
        if form.is_valid():
            try:
                showcases.showcase_item_update(item, actor=request.user, **form.service_arguments())
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Changed and sent for review again."))
                return redirect("console:showcase", pk=enrollment.pk)
    else:
        form = form_class(campaign=enrollment.campaign, item=item)
    return render(
        request,
        "console/showcase_item_form.html",
        {
            "enrollment": enrollment,
            "campaign": enrollment.campaign,
            "community": enrollment.community,
            "form": form,
            "kind": item.kind,
            "item": item,
            "title": _("Change: %(kind)s") % {"kind": item.get_kind_display()},
            "hint": _("A change is reviewed again before the public sees it."),
            "refusal": refusal,
        },
    )


@permission_required("showcases.change_showcaseitem")
def showcase_item_withdraw(request, pk):
    item = _own_item(request.user, pk)
    enrollment = item.showcase.enrollment
    back = reverse("console:showcase", args=[enrollment.pk])
    if item.status not in showcases.EDITABLE:
        messages.error(
            request, _("Approved material is public and can no longer be changed; ask the bureau.")
        )
        return redirect(back)
    if request.method == "POST":
        try:
            showcases.showcase_item_withdraw(item, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Withdrawn."))
        return redirect(back)
    return render(
        request,
        "console/confirm.html",
        {
            "campaign": enrollment.campaign,
            "title": _("Withdraw showcase material"),
            "question": _("Withdraw “%(text)s”? It has not been published; it will be removed.")
            % {"text": (item.title or item.body)[:80]},
            "back": back,
        },
    )


@require_POST
@permission_required("showcases.change_showcaseitem")
def showcase_headline(request, pk):
    enrollment = _own_enrollment(request.user, pk)
    form = HeadlineForm(request.POST)
    if form.is_valid():
        try:
            showcases.showcase_headline_set(
                enrollment,
                actor=request.user,
                headline=form.cleaned_data["headline"],
                subheadline=form.cleaned_data["subheadline"],
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            if any(form.cleaned_data.values()):
                messages.success(
                    request, _("Headline sent. The bureau reviews it before the public sees it.")
                )
            else:
                messages.success(request, _("Headline removed."))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("console:showcase", pk=enrollment.pk)


@require_POST
@permission_required("showcases.add_companyreply")
def showcase_reply(request, pk):
    enrollment = _own_enrollment(request.user, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            showcases.reply_submit(enrollment, actor=request.user, text=form.cleaned_data["text"])
        except DomainError as error:
            form.add_error("text", str(error))
        else:
            messages.success(
                request, _("Reply sent. The bureau reviews it before the public sees it.")
            )
            return redirect("console:showcase", pk=enrollment.pk)
    return render(
        request,
        "console/showcase_detail.html",
        _detail_context(request, enrollment, reply_form=form),
    )


# --- bureau staff --------------------------------------------------------------------


@permission_required("showcases.moderate_showcase")
def moderation_queue(request):
    items = _moderated(
        request.user,
        ShowcaseItem.objects.filter(status=ModerationStatus.PENDING),
        "showcase__enrollment",
    ).select_related(
        "showcase__enrollment__campaign",
        "showcase__enrollment__community__district",
        "showcase__enrollment__company",
        "criterion",
        "submitted_by",
    )
    items = items.order_by("submitted_at", "id")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    replies = _moderated(
        request.user,
        CompanyReply.objects.filter(status=ModerationStatus.PENDING),
        "enrollment",
    ).select_related(
        "enrollment__campaign", "enrollment__community__district", "company", "submitted_by"
    )
    headlines = _moderated(
        request.user,
        HeadlineProposal.objects.filter(status=ModerationStatus.PENDING),
        "showcase__enrollment",
    ).select_related(
        "showcase__enrollment__campaign",
        "showcase__enrollment__community__district",
        "showcase__enrollment__company",
        "submitted_by",
    )
    recent = (
        _moderated(
            request.user,
            ShowcaseItem.objects.exclude(status=ModerationStatus.PENDING).filter(
                reviewed_at__isnull=False
            ),
            "showcase__enrollment",
        )
        .select_related("showcase__enrollment__community", "reviewed_by")
        .order_by("-reviewed_at")[:20]
    )
    return render(
        request,
        "console/showcase_moderation.html",
        {
            "page": page,
            "replies": replies.order_by("submitted_at", "id")[:PAGE_SIZE],
            "headlines": headlines.order_by("submitted_at", "id")[:PAGE_SIZE],
            "recent": recent,
        },
    )


def _moderation_redirect(request):
    url = reverse("console:moderation")
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


def _decide(request, service, obj) -> None:
    form = ModerationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return
    approve = form.cleaned_data["decision"] == "approve"
    try:
        service(obj, actor=request.user, approve=approve, note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Approved: the public sees it now.")
            if approve
            else _("Rejected; the company sees your reason."),
        )


@require_POST
@permission_required("showcases.moderate_showcase")
def moderation_item(request, pk):
    items = _moderated(request.user, ShowcaseItem.objects.all(), "showcase__enrollment")
    try:
        item = items.get(pk=pk)
    except ShowcaseItem.DoesNotExist:
        raise Http404 from None
    _decide(request, showcases.showcase_item_review, item)
    return _moderation_redirect(request)


@require_POST
@permission_required("showcases.moderate_showcase")
def moderation_reply(request, pk):
    replies = _moderated(request.user, CompanyReply.objects.all(), "enrollment")
    try:
        reply = replies.get(pk=pk)
    except CompanyReply.DoesNotExist:
        raise Http404 from None
    _decide(request, showcases.reply_review, reply)
    return _moderation_redirect(request)


@require_POST
@permission_required("showcases.moderate_showcase")
def moderation_headline(request, pk):
    proposals = _moderated(request.user, HeadlineProposal.objects.all(), "showcase__enrollment")
    try:
        proposal = proposals.get(pk=pk)
    except HeadlineProposal.DoesNotExist:
        raise Http404 from None
    _decide(request, showcases.headline_review, proposal)
    return _moderation_redirect(request)
