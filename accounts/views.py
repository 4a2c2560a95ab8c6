"""A staff member's own account: password change and the second factor (TOTP).

Enrolment shows a QR code (segno, as an image: no script, CSP-safe) and the key
for typing in by hand; the first correct code confirms the device and hands out
ten one-time recovery codes, shown once. After the password, an enrolled account
gives a code from the app (or a recovery code) before any console or admin page
(accounts.staff_security.SecondFactorMiddleware). Wrong codes slow down
(django-otp's throttling: 1, 2, 4 … seconds). A lost phone: a recovery code, or
`manage.py reset_second_factor USERNAME` by the operations team.
"""

from __future__ import annotations

import base64

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .identity import staff_member_required
from .staff_security import account_locked, second_factor_step

RECOVERY_CODES = 10
NO_STORE = "private, no-store"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
        error_messages={"required": gettext_lazy("Enter the code.")},
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _throttled(device) -> str | None:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    seconds = 1
    if data and data.get("locked_until"):
        seconds = max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)
    return _("Too many wrong codes: wait %(seconds)d seconds, then try again.") % {
        "seconds": seconds
    }


def _check_code(user, code: str):
    """The device that accepts `code` (a TOTP code or a recovery code), else an error
    message for the person. Only the kind of device the code is for is tried, so
    a typo does not slow down the other."""
    if code.isdigit() and len(code) == 6:
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.devices_for_user(user, confirmed=True))
    for device in devices:
        refusal = _throttled(device)
        if refusal:
            return None, refusal
        verified = otp_verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified, None
    return None, _(
        "That code is not right. Enter the 6 digits your app shows now, or one of your "
        "recovery codes."
    )


def _verified(request, device) -> None:
    """Mark this session as having passed the second factor, under a new key."""
    otp_login(request, device)
    request.session.cycle_key()


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=str(_("Recovery codes")))
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def _recovery_page(request, codes: list[str]):
    response = render(request, "accounts/otp_recovery_codes.html", {"codes": codes})
    response["Cache-Control"] = NO_STORE
    return response


def _qr_data_uri(device) -> str:
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _grouped_key(device) -> str:
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@never_cache
@require_http_methods(["GET", "POST"])
@staff_member_required
def otp_setup(request):
    """Enrol a TOTP device, or (enrolled) see its state, renew recovery codes or
    remove it."""
    user = request.user
    enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = CodeForm(request.POST if request.method == "POST" else None)
    action = request.POST.get("action", "")

    if enrolled is not None:
        if request.method == "POST" and action == "recovery":
            return _recovery_page(request, _new_recovery_codes(user))
        if request.method == "POST" and action == "remove" and form.is_valid():
            device, error = _check_code(user, form.cleaned_data["code"])
            if device is None:
                form.add_error("code", error)
            else:
                with transaction.atomic():
                    TOTPDevice.objects.filter(user=user).delete()
                    StaticDevice.objects.filter(user=user).delete()
                messages.success(request, _("The second factor was removed from your account."))
                return redirect("accounts:otp_setup")
        context = {
            "enrolled": enrolled,
            "form": form,
            "recovery_left": StaticToken.objects.filter(device__user=user).count(),
            "required": settings.STAFF_OTP_REQUIRED_FOR_CITY,
        }
        response = render(request, "accounts/otp_setup.html", context)
        response["Cache-Control"] = NO_STORE
        return response

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=str(_("Authenticator app")), confirmed=False
        )
    if request.method == "POST" and form.is_valid():
        refusal = _throttled(device)
        if refusal:
            form.add_error("code", refusal)
        elif device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                codes = _new_recovery_codes(user)
            _verified(request, device)
            messages.success(
                request,
                _("The second factor is on: from now on you log in with a code from your app."),
            )
            return _recovery_page(request, codes)
        else:
            form.add_error(
                "code",
                _(
                    "That code is not right. Check the phone's time and enter the 6 digits shown now."
                ),
            )
    context = {
        "form": form,
        "qr": _qr_data_uri(device),
        "key": _grouped_key(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "required_now": second_factor_step(user) == "enrol",
        "next": _next_url(request, ""),
    }
    response = render(
        request, "accounts/otp_setup.html", context, status=400 if form.errors else 200
    )
    response["Cache-Control"] = NO_STORE
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@login_required(login_url="accounts:login")
def otp_verify(request):
    """The second step of logging in, for accounts with a second factor."""
    user = request.user
    done = _next_url(request, reverse("console:dashboard"))
    if user.is_verified() or not user_has_device(user, confirmed=True):
        return redirect(done)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device, error = _check_code(user, form.cleaned_data["code"])
        if device is not None:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                left = StaticToken.objects.filter(device__user=user).count()
                messages.warning(
                    request,
                    _("You used a recovery code; %(n)d are left. Renew them on the account page.")
                    % {"n": left},
                )
            return redirect(done)
        form.add_error("code", error)
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": _next_url(request, "")},
        status=400 if form.errors else 200,
    )


@method_decorator(staff_member_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password (the old one is asked for; the new one must pass
    AUTH_PASSWORD_VALIDATORS). The session stays, under a new key."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:otp_setup")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


class ConsoleLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # An account locked across addresses (accounts.staff_security) is told so
        # plainly, as the per-address lockout is; the attempt still counts.
        username = request.POST.get("username", "")
        if account_locked(username):
            from django.contrib.auth import authenticate

            authenticate(request, username=username, password=request.POST.get("password", ""))
            return render(request, "accounts/locked_out.html", {"account_locked": True}, status=429)
        return super().post(request, *args, **kwargs)

    def get_success_url(self):
        """After the password, an account with a second factor gives its code."""
        url = super().get_success_url()
        if second_factor_step(self.request.user) == "verify":
            return f"{reverse('accounts:otp_verify')}?{urlencode({'next': url})}"
        return url
