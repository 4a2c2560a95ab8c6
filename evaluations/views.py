from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from config import metrics
from config.client_ip import client_ip

from . import fingerprints, throttle
from .codes import CODE_ALPHABET, format_code, normalize_code, strip_separators
from .forms import CodeForm, RatingForm
from .models import Rating
from .ratings import (
    CodeRevoked,
    CodeUnknown,
    InvalidRating,
    WindowClosed,
    campaign_criteria,
    check_window,
    household_code_lookup,
    household_has_rated,
    rating_submit,
)


def _limited_response(request: HttpRequest, limited: throttle.Limited) -> HttpResponse:
    metrics.REFUSALS.labels("rate_limited").inc()
    minutes = max(1, -(-limited.seconds_left // 60))
    # Only ever shown for a code that was not found: a valid code opens its page
    # whatever this network typed before.
    if limited.locked_out:
        message = _(
            "This code was not found, and many wrong codes have come from this network. "
            "Check the code on your notice; wrong codes from here are answered again in "
            "about %(minutes)d minutes. A correct code always opens at once."
        ) % {"minutes": minutes}
    else:
        message = _(
            "This code was not found, and several wrong codes came from this network in a "
            "row. Check the code on your notice; wrong codes from here are answered again "
            "in about %(seconds)d seconds. A correct code always opens at once."
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
    metrics.REFUSALS.labels("wrong_code").inc()
    limited = throttle.check(request)
    throttle.record_failure(request)
    fingerprints.record_failed_code(request, request.GET.get("code", ""))
    if limited:
        return _limited_response(request, limited)
    return render(request, "evaluations/code_entry.html", {"form": form}, status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rate(request: HttpRequest, code: str) -> HttpResponse:
    # A valid code always opens its page: the limits only ever answer a wrong code
    # (evaluations.throttle explains why that costs guessing nothing).
    try:
        household_code = household_code_lookup(code)
    except CodeRevoked as error:
        enrollment = error.code.enrollment
        return render(
            request,
            "evaluations/closed.html",
            {
                "enrollment": enrollment,
                "campaign": enrollment.campaign,
                "community": enrollment.community,
                "message": str(error),
                "revoked": True,
            },
            status=410,
        )
    except CodeUnknown as error:
        metrics.REFUSALS.labels("wrong_code").inc()
        limited = throttle.check(request)
        throttle.record_failure(request)
        fingerprints.record_failed_code(request, code)
        if limited:
            return _limited_response(request, limited)
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
        metrics.REFUSALS.labels("window_closed").inc()
        return render(
            request, "evaluations/closed.html", {**context, "message": str(error)}, status=403
        )

    criteria = campaign_criteria(campaign)
    browser_id = fingerprints.browser_id_of(request)
    # Anti-fraud signals (evaluations.fingerprints): when the form was first shown, and
    # which browser. Missing or forged values are recorded as unknown, never refused.
    started = ""
    if request.method == "POST":
        started = request.POST.get(fingerprints.FORM_STARTED_FIELD, "")[:200]
        seconds = fingerprints.form_seconds(started, code)
        if seconds is None:
            started = ""
        form = RatingForm(request.POST, criteria=criteria)
        if form.is_valid():
            try:
                rating = rating_submit(
                    household_code,
                    criteria=criteria,
                    client_ip=client_ip(request),
                    user_agent=request.headers.get("User-Agent", ""),
                    form_seconds=seconds,
                    browser_id=browser_id,
                    validated=True,
                    **form.rating_values(),
                )
            except WindowClosed as error:
                metrics.REFUSALS.labels("window_closed").inc()
                return render(
                    request,
                    "evaluations/closed.html",
                    {**context, "message": str(error)},
                    status=403,
                )
            except InvalidRating as error:
                form.add_error(None, str(error))
            else:
                metrics.RATINGS.inc()
                return receipt_handover(rating.receipt)
    else:
        form = RatingForm(criteria=criteria)
    context.update(
        form=form,
        already_rated=household_has_rated(household_code),
        form_started=started or fingerprints.form_started_token(code),
        form_started_field=fingerprints.FORM_STARTED_FIELD,
    )
    if form.errors:
        metrics.REFUSALS.labels("invalid").inc()
    response = render(request, "evaluations/rate.html", context, status=400 if form.errors else 200)
    if not browser_id:
        fingerprints.set_browser_cookie(response, fingerprints.new_browser_id())
    return response


# The receipt never travels in a URL (access logs would tie an address to it): the
# rating's POST answers with a redirect to the thank-you page and hands the receipt
# over in a signed cookie that lives ten minutes, is sent only to that page and never
# to scripts.
RECEIPT_COOKIE = "manyi_receipt"
RECEIPT_COOKIE_SALT = "evaluations.receipt-handover"
RECEIPT_COOKIE_SECONDS = 600


def receipt_handover(receipt: str) -> HttpResponse:
    response = redirect(reverse("evaluations:receipt"))
    response.set_signed_cookie(
        RECEIPT_COOKIE,
        receipt,
        salt=RECEIPT_COOKIE_SALT,
        max_age=RECEIPT_COOKIE_SECONDS,
        path=reverse("evaluations:receipt"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


@never_cache
@require_safe
def receipt(request: HttpRequest) -> HttpResponse:
    """The thank-you page with the receipt number. It shows that the rating was
    recorded, and never what it said."""
    handed = request.get_signed_cookie(
        RECEIPT_COOKIE, default=None, salt=RECEIPT_COOKIE_SALT, max_age=RECEIPT_COOKIE_SECONDS
    )
    normalized = normalize_receipt(handed or "")
    rating = (
        Rating.objects.select_related("enrollment__community", "enrollment__campaign")
        .filter(receipt=normalized)
        .first()
        if normalized
        else None
    )
    if rating is None:
        return render(request, "evaluations/receipt_gone.html", status=404)
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
    cleaned = strip_separators(raw or "")
    if (
        len(cleaned) != RECEIPT_LENGTH
        or not cleaned.startswith("R")
        or any(ch not in CODE_ALPHABET for ch in cleaned[1:])
    ):
        return None
    return cleaned


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def receipt_check(request: HttpRequest) -> HttpResponse:
    """Is the rating with this receipt the one that counts for its household?

    Four answers and nothing more: it counts; it is held for review by the bureau
    (quarantined, the monitoring app) and does not count for now; a later rating of
    the same household counts instead; no rating has this receipt. Never the answers, the community or
    the time (docs/verification.md explains why, and what it cannot hide).
    """
    # By POST (with CSRF): a receipt in a query string would be in access logs.
    raw = request.POST.get("receipt", "")[:64] if request.method == "POST" else ""
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
