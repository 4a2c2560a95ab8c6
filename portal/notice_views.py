"""Public pages of the programme that belong to the review (issue 3): the
preliminary list during its public notice (公示) and the objection form."""

from django.conf import settings
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from config.client_ip import client_ip
from evaluations import throttle
from evaluations.errors import DomainError
from evaluations.models import Campaign
from reviews.models import Objection, Publication, PublicationEntry, normalise_reference
from reviews.publishing import objection_file

from .forms import ObjectionForm, ObjectionLookupForm


def _preliminary(slug) -> Publication:
    campaign = get_object_or_404(Campaign.objects.public(), slug=slug)
    publication = campaign.publications.filter(kind=Publication.Kind.PRELIMINARY).first()
    if publication is None:
        raise Http404
    return publication


def notice(request, slug):
    publication = _preliminary(slug)
    entries = publication.entries.annotate(n_objections=Count("objections")).order_by(
        "district_code", "community_name"
    )
    districts = {}
    for entry in entries:
        districts.setdefault(entry.district_name, []).append(entry)
    final = (
        publication.campaign.publications.filter(kind=Publication.Kind.FINAL)
        .order_by("-revision")
        .first()
    )
    return render(
        request,
        "portal/notice.html",
        {
            "publication": publication,
            "campaign": publication.campaign,
            "districts": districts,
            "count": len(entries),
            "notice_open": publication.notice_open(),
            "final": final,
        },
    )


def _objection_limited(request, increment: bool) -> bool:
    usage = throttle.counter_usage(
        request, "objections", settings.OBJECTIONS_RATE, increment=increment
    )
    return usage is not None and usage["count"] >= usage["limit"]


@require_http_methods(["GET", "POST"])
def objection_create(request, slug, entry_id):
    publication = _preliminary(slug)
    entry = get_object_or_404(PublicationEntry, pk=entry_id, publication=publication)
    context = {"publication": publication, "campaign": publication.campaign, "entry": entry}
    if not publication.notice_open():
        return render(request, "portal/objection_closed.html", context, status=403)
    if _objection_limited(request, increment=False):
        return render(request, "portal/objection_limited.html", context, status=429)
    form = ObjectionForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        _objection_limited(request, increment=True)
        try:
            objection = objection_file(
                entry,
                contact_name=form.cleaned_data["contact_name"],
                contact=form.cleaned_data["contact"],
                text=form.cleaned_data["text"],
                photo=form.cleaned_data.get("photo"),
                client_ip=client_ip(request),
                notify=form.cleaned_data.get("notify", False),
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            return redirect("notice_objection_done", slug=slug, ref=objection.reference)
    context.update(form=form, now=timezone.now())
    return render(
        request, "portal/objection_form.html", context, status=400 if form.errors else 200
    )


def objection_done(request, slug, ref):
    """Right after filing: the reference number to keep, and where to follow it."""
    publication = _preliminary(slug)
    objection = get_object_or_404(
        Objection, reference=normalise_reference(ref), entry__publication=publication
    )
    return render(
        request,
        "portal/objection_done.html",
        {"publication": publication, "campaign": publication.campaign, "objection": objection},
    )


@require_GET
def objection_lookup(request):
    """Enter a reference number (受理编号) to see where an objection stands. A GET: the
    number is not a secret that grants anything — the status page shows nothing private
    — and the link it gives can be kept and shared; it is random (about 49 bits), so
    nobody reaches other people's objections by counting."""
    form = ObjectionLookupForm(request.GET if "ref" in request.GET else None)
    if form.is_bound and form.is_valid():
        reference = normalise_reference(form.cleaned_data["ref"])
        if Objection.objects.filter(reference=reference).exists():
            return redirect("objection_status", ref=reference)
        form.add_error("ref", _("No objection has this reference number. Check it and try again."))
    return render(
        request,
        "portal/objection_lookup.html",
        {"form": form},
        status=404 if form.errors and "ref" in request.GET else 200,
    )


@require_GET
def objection_status(request, ref):
    """An objection's public status: received, being handled, answered with the public
    answer. Never the filer's name, contact or text (they may name people)."""
    objection = (
        Objection.objects.select_related("entry__publication__campaign")
        .filter(reference=normalise_reference(ref))
        .first()
    )
    if objection is None:
        form = ObjectionLookupForm({"ref": ref})
        form.is_valid()
        form.add_error("ref", _("No objection has this reference number. Check it and try again."))
        return render(request, "portal/objection_lookup.html", {"form": form}, status=404)
    response = render(
        request,
        "portal/objection_status.html",
        {"objection": objection, "campaign": objection.entry.publication.campaign},
    )
    # It changes when the objection is answered: never kept by a browser or proxy.
    response["Cache-Control"] = "no-store"
    return response
