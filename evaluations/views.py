import re

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from config.client_ip import client_ip

from . import monitoring, throttle
from .codes import CODE_ALPHABET, format_code, normalize_code
from .forms import CodeForm, RatingForm
from .models import Rating
from .services import (
    CodeUnknown,
    InvalidRating,
    WindowClosed,
    campaign_criteria_versioned,
    check_window,
    household_code_lookup,
    household_has_rated,
    rating_submit,
)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy", never a 500 page
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _limited_response(request: HttpRequest, limited: throttle.Limited) -> HttpResponse:
    minutes = max(1, -(-limited.seconds_left // 60))
    if limited.locked_out:
        message = _(
            "Too many wrong codes were tried from this network. Code entry is paused "
            "for about %(minutes)d minutes."
        ) % {"minutes": minutes}
    else:
        message = _(
            "Several wrong codes in a row. Please wait about %(seconds)d seconds, then "
            "check the code on your notice and try again."
        ) % {"seconds": limited.seconds_left}
    response = render(
        request,
        "evaluations/code_entry.html",
        {"form": CodeForm(), "limited_message": message},
        status=429,
    )
    response["Retry-After"] = str(limited.seconds_left)
    return response


@never_cache
@require_safe
def code_entry(request: HttpRequest) -> HttpResponse:
    """The page to type a household code in; a GET form, so it works everywhere."""
    if "code" not in request.GET:
        return render(request, "evaluations/code_entry.html", {"form": CodeForm()})
    form = CodeForm(request.GET)
    limited = throttle.check(request)
    if limited:
        return _limited_response(request, limited)
    if form.is_valid():
        code = normalize_code(form.cleaned_data["code"])
        if code:
            return redirect("evaluations:rate", code=code)
        form.add_error(
            "code",
            _(
                "A household code has 12 letters and digits (no 0, O, 1 or I), "
                "for example K7QM-X2PA-9RTD."
            ),
        )
    throttle.record_failure(request)
    monitoring.record_failed_code(request, request.GET.get("code", ""))
    return render(request, "evaluations/code_entry.html", {"form": form}, status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rate(request: HttpRequest, code: str) -> HttpResponse:
    limited = throttle.check(request)
    if limited:
        return _limited_response(request, limited)
    try:
        household_code = household_code_lookup(code)
    except CodeUnknown as error:
        throttle.record_failure(request)
        monitoring.record_failed_code(request, code)
        form = CodeForm(initial={"code": code})
        return render(
            request,
            "evaluations/code_entry.html",
            {"form": form, "error": str(error)},
            status=404,
        )
    enrollment = household_code.enrollment
    campaign = enrollment.campaign
    context = {
        "enrollment": enrollment,
        "campaign": campaign,
        "community": enrollment.community,
        "code_display": format_code(normalize_code(code)),
    }
    try:
        check_window(campaign)
    except WindowClosed as error:
        return render(
            request, "evaluations/closed.html", {**context, "message": str(error)}, status=403
        )

    version, criteria = campaign_criteria_versioned(campaign)
    browser_id = monitoring.browser_id_of(request)
    form = None
    # Anti-fraud signals (evaluations.monitoring): when the form was first shown, and
    # which browser. Missing or forged values are recorded as unknown, never refused.
    started = ""
    if request.method == "POST":
        started = request.POST.get(monitoring.FORM_STARTED_FIELD, "")[:200]
        seconds = monitoring.form_seconds(started, code)
        if seconds is None:
            started = ""
        cleaned = RatingForm.clean_quickly(request.POST, criteria)
        if cleaned is None:
            form = RatingForm(request.POST, criteria=criteria)
            if form.is_valid():
                cleaned = {
                    "overall": form.cleaned_data["overall"],
                    "answers": form.answers(),
                    "comment": form.cleaned_data["comment"],
                }
        if cleaned is not None:
            try:
                rating = rating_submit(
                    household_code,
                    criteria=criteria,
                    client_ip=client_ip(request),
                    user_agent=request.headers.get("User-Agent", ""),
                    form_seconds=seconds,
                    browser_id=browser_id,
                    **cleaned,
                )
            except WindowClosed as error:
                return render(
                    request,
                    "evaluations/closed.html",
                    {**context, "message": str(error)},
                    status=403,
                )
            except InvalidRating as error:
                form = form or RatingForm(request.POST, criteria=criteria)
                form.is_valid()
                form.add_error(None, str(error))
            else:
                return redirect(reverse("evaluations:receipt", args=[rating.receipt]))
    already_rated = household_has_rated(household_code)
    values = {
        "campaign_name": campaign.display_name,
        "community_name": enrollment.community.display_name,
        "district_name": enrollment.community.district.display_name,
        "company_name": enrollment.company.name,
        "closes_at": date_format(timezone.localtime(campaign.closes_at), "Y-m-d H:i"),
        "code_display": context["code_display"],
        "form_started": started or monitoring.form_started_token(code),
        "csrf_token": get_token(request),
        "path": request.get_full_path(),
    }
    if form is None:
        # A new form: the page as rendered once per campaign, criteria version,
        # language and notice, with this household's values put in their places.
        page = _rating_page(request, campaign, version, criteria, already_rated)
        response = HttpResponse(page.fill(values))
    else:
        context.update(
            values,
            form=form,
            already_rated=already_rated,
            form_started_field=monitoring.FORM_STARTED_FIELD,
        )
        status = 400 if form.errors else 200
        response = render(request, "evaluations/rate.html", context, status=status)
    if not browser_id:
        monitoring.set_browser_cookie(response, monitoring.new_browser_id())
    return response


class _Page:
    """A page rendered with a marker in place of each per-request value; filled in
    by one pass over its pieces, each value escaped (the markers stand where the
    template's own {{ value }} would have escaped it)."""

    MARK = "\x1emanyi:{}\x1e"
    SPLIT = re.compile("\x1emanyi:([a-z_]+)\x1e")

    def __init__(self, rendered: str):
        self.pieces = self.SPLIT.split(rendered)

    @classmethod
    def marks(cls, names) -> dict[str, str]:
        return {name: cls.MARK.format(name) for name in names}

    def fill(self, values: dict[str, str]) -> str:
        pieces = self.pieces[:]
        for i in range(1, len(pieces), 2):
            pieces[i] = escape(values[pieces[i]])
        return "".join(pieces)


_PAGE_VALUES = (
    "campaign_name",
    "community_name",
    "district_name",
    "company_name",
    "closes_at",
    "code_display",
    "form_started",
    "csrf_token",
    "path",
)


class _PathOnly:
    """Stands for the request in the page's template (base.html's language switch
    reads request.get_full_path); everything else about the request is per request."""

    def get_full_path(self) -> str:
        return _Page.MARK.format("path")


# Rendered rating pages and questions of unbound rating forms, in this process,
# under (campaign id, criteria version, language[, already rated]). The version
# (services.campaign_criteria_versioned) changes with any change of a criterion or of
# a campaign's criteria, on every server, so a stale entry is never used; what
# depends on the household, the campaign's own fields or the request is filled in
# per request (_PAGE_VALUES).
_PAGES: dict[tuple, _Page] = {}
_QUESTIONNAIRES: dict[tuple[int, str, str], str] = {}
QUESTIONNAIRES_KEPT = 64


def _rating_page(request, campaign, version: str, criteria, already_rated: bool) -> _Page:
    key = (campaign.pk, version, get_language(), already_rated)
    page = _PAGES.get(key)
    if page is None:
        context = _Page.marks(_PAGE_VALUES)
        context.update(
            request=_PathOnly(),
            form=None,
            questionnaire=_questionnaire(campaign, version, criteria),
            already_rated=already_rated,
            form_started_field=monitoring.FORM_STARTED_FIELD,
        )
        page = _Page(render_to_string("evaluations/rate.html", context, request=request))
        if len(_PAGES) >= QUESTIONNAIRES_KEPT:
            _PAGES.clear()
        _PAGES[key] = page
    return page


def _questionnaire(campaign, version: str, criteria) -> str:
    key = (campaign.pk, version, get_language())
    html = _QUESTIONNAIRES.get(key)
    if html is None:
        html = render_to_string(
            "evaluations/_questionnaire.html", {"form": RatingForm(criteria=criteria)}
        )
        if len(_QUESTIONNAIRES) >= QUESTIONNAIRES_KEPT:
            _QUESTIONNAIRES.clear()
        _QUESTIONNAIRES[key] = html
    return html


@never_cache
@require_safe
def receipt(request: HttpRequest, receipt: str) -> HttpResponse:
    """The thank-you page with the receipt number. It shows that the rating was
    recorded, and never what it said."""
    normalized = normalize_receipt(receipt)
    if normalized is None:
        raise Http404("not a receipt number")
    rating = get_object_or_404(
        Rating.objects.select_related("enrollment__community", "enrollment__campaign"),
        receipt=normalized,
    )
    return render(
        request,
        "evaluations/receipt.html",
        {
            "rating": rating,
            "campaign": rating.enrollment.campaign,
            "community": rating.enrollment.community,
        },
    )


# --- receipt check (issue 5: the verifiable tally) ----------------------------------

RECEIPT_CHECKS_GROUP = "receipt-checks"
RECEIPT_LENGTH = 16


def _receipt_checks_limited(request: HttpRequest) -> bool:
    """Counts one lookup for this client; True once it has made too many. Fails open:
    a cache that does not answer never stops a resident from checking."""
    rate = getattr(settings, "RECEIPT_CHECKS_RATE", "30/m")
    usage = throttle.counter_usage(request, RECEIPT_CHECKS_GROUP, rate, increment=True)
    return usage is not None and bool(usage["should_limit"])


def normalize_receipt(raw: str) -> str | None:
    cleaned = "".join(ch for ch in str(raw or "").upper() if ch not in " -_\t")
    if (
        len(cleaned) != RECEIPT_LENGTH
        or not cleaned.startswith("R")
        or any(ch not in CODE_ALPHABET for ch in cleaned[1:])
    ):
        return None
    return cleaned


@never_cache
@require_safe
def receipt_check(request: HttpRequest) -> HttpResponse:
    """Is the rating with this receipt the one that counts for its household?

    Four answers and nothing more: it counts; it is held for review by the bureau
    (quarantined, evaluations.monitoring) and does not count for now; a later rating of
    the same household counts instead; no rating has this receipt. Never the answers, the community or
    the time (docs/verification.md explains why, and what it cannot hide).
    """
    raw = request.GET.get("receipt", "")[:64]
    context = {"receipt": raw}
    if not raw.strip():
        return render(request, "evaluations/receipt_check.html", context)
    if _receipt_checks_limited(request):
        context["limited"] = True
        return render(request, "evaluations/receipt_check.html", context, status=429)
    receipt = normalize_receipt(raw)
    state = "unknown"
    if receipt is not None:
        found = (
            Rating.objects.filter(receipt=receipt)
            .values_list("is_current", "quarantined_at")
            .first()
        )
        if found is not None:
            is_current, quarantined_at = found
            if not is_current:
                state = "superseded"
            elif quarantined_at is not None:
                state = "held"
            else:
                state = "counted"
    context.update(state=state, receipt_display=format_code(receipt) if receipt else raw)
    return render(request, "evaluations/receipt_check.html", context)
