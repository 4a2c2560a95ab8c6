"""Staff sessions and staff passwords (OWASP ASVS 4.0, level 2, V2.1 and V3.3).

- Idle timeout: a staff session ends after STAFF_IDLE_TIMEOUT_MINUTES without a
  request, and after STAFF_SESSION_MAX_HOURS whatever the activity. Enforced on
  the server: the times are kept in the session itself (shared by every app server
  through the session store), not in a cookie the browser could keep alive.
  Residents and anonymous visitors have no authenticated session: unaffected.
- Second factor: an account with a confirmed TOTP device (django-otp) must enter
  a code after its password before any console or admin page; with
  STAFF_OTP_REQUIRED_FOR_CITY, city accounts without one must enrol first.
- Login lockout, two ways (issue 11): per (account, address) by django-axes
  (AXES_FAILURE_LIMIT, IPv6 addresses grouped by /64: lockout_address), and per
  account across every address (STAFF_ACCOUNT_FAILURE_LIMIT wrong passwords within
  the cool-off lock the account wherever they came from: distributed guessing from
  many addresses gets nowhere). The account limit is higher, so a colleague typing
  wrong passwords elsewhere does not lock the account at once.
- Passwords: 12 to 128 characters, no runs like "123456789012" or "aaaaaaaaaaaa"
  (as NIST SP 800-63B asks), with Django's common-password and similarity
  validators (AUTH_PASSWORD_VALIDATORS); no composition rules.
"""

from __future__ import annotations

import functools
import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LOGIN_AT_KEY = "_manyi_login_at"
LAST_ACTIVITY_KEY = "_manyi_last_activity"
# The last activity is written to the session at most once a minute, not on every
# request (each write is a database write): a session may end up to a minute early.
ACTIVITY_RESOLUTION_SECONDS = 60


def _now() -> int:
    return int(time.time())


# --- the login lockout per account, across addresses -------------------------------------

ACCOUNT_FAILURES_KEY = "staff-login-failures:{username}"
logger = logging.getLogger(__name__)


def _account_key(username: str) -> str:
    import hashlib

    digest = hashlib.sha256(str(username).strip().casefold().encode()).hexdigest()[:32]
    return ACCOUNT_FAILURES_KEY.format(username=digest)


def _cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def account_locked(username: str) -> bool:
    """True once the account has had STAFF_ACCOUNT_FAILURE_LIMIT wrong passwords within
    the cool-off, from whatever addresses. Fails open when the cache is down (the
    per-address lockout, in the database, still holds)."""
    from django.core.cache import cache

    if not username or not getattr(settings, "AXES_ENABLED", True):
        return False
    try:
        failures = int(cache.get(_account_key(username)) or 0)
    except Exception:
        return False
    return failures >= int(getattr(settings, "STAFF_ACCOUNT_FAILURE_LIMIT", 20))


def _count_account_failure(sender, credentials, request=None, **kwargs) -> None:
    from django.core.cache import cache

    username = (credentials or {}).get("username")
    if not username:
        return
    key = _account_key(username)
    try:
        if not cache.add(key, 1, timeout=_cooloff_seconds()):
            cache.incr(key)
    except Exception:  # the cache is down: the per-address lockout still holds
        logger.exception("staff account lockout counter unavailable")


def _forget_account_failures(sender, request, user, **kwargs) -> None:
    from django.core.cache import cache

    try:
        cache.delete(_account_key(user.get_username()))
    except Exception:
        logger.exception("staff account lockout counter unavailable")


def lockout_address(request) -> str | None:
    """The address the per-address lockout keys on: the client's, with an IPv6
    address reduced to its /64 network (one subscriber's whole prefix counts as one
    address, as a home or a phone is given a /64)."""
    import ipaddress

    from config.client_ip import client_ip

    address = client_ip(request)
    if address and ":" in address:
        # The network's first address stands for the /64 (a valid address to store).
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return address


class AccountLockoutBackend:
    """First in AUTHENTICATION_BACKENDS: a locked account is refused before any
    password is checked (django.contrib.auth stops at PermissionDenied)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from django.core.exceptions import PermissionDenied

        if username and account_locked(username):
            raise PermissionDenied("account locked")
        return None

    # No get_user(): sessions name the backend that authenticated (ModelBackend), and a
    # backend with get_user() would be picked by Client.force_login in tests.


def _connect_account_lockout() -> None:
    from django.contrib.auth.signals import user_logged_in, user_login_failed

    user_login_failed.connect(_count_account_failure, dispatch_uid="staff-account-failures")
    user_logged_in.connect(_forget_account_failures, dispatch_uid="staff-account-failures")


_connect_account_lockout()


@receiver(user_logged_in)
def _session_started(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = _now()
        request.session[LOGIN_AT_KEY] = now
        request.session[LAST_ACTIVITY_KEY] = now


def _staff_area(path: str) -> bool:
    """Paths of the console and the Django admin: where staff sign-in matters."""
    return path.startswith(_staff_prefixes(get_urlconf(), get_script_prefix()))


@functools.lru_cache(maxsize=8)
def _staff_prefixes(urlconf, script_prefix: str) -> tuple[str, str]:
    # Every request asks (two middlewares): reversed once per URL configuration.
    return (reverse("console:dashboard"), reverse("admin:index"))


class StaffSessionTimeoutMiddleware:
    """Log out a session idle for too long, or too old; say why on the login page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            response = self._check(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = _now()
        idle_limit = settings.STAFF_IDLE_TIMEOUT_MINUTES * 60
        age_limit = settings.STAFF_SESSION_MAX_HOURS * 3600
        last = session.get(LAST_ACTIVITY_KEY)
        started = session.get(LOGIN_AT_KEY)
        if last is not None and now - last > idle_limit:
            message = ngettext(
                "You were logged out after %(minutes)d minute without activity. "
                "Log in again to continue.",
                "You were logged out after %(minutes)d minutes without activity. "
                "Log in again to continue.",
                settings.STAFF_IDLE_TIMEOUT_MINUTES,
            ) % {"minutes": settings.STAFF_IDLE_TIMEOUT_MINUTES}
        elif started is not None and now - started > age_limit:
            message = ngettext(
                "You were logged out: a session lasts at most %(hours)d hour. "
                "Log in again to continue.",
                "You were logged out: a session lasts at most %(hours)d hours. "
                "Log in again to continue.",
                settings.STAFF_SESSION_MAX_HOURS,
            ) % {"hours": settings.STAFF_SESSION_MAX_HOURS}
        else:
            if last is None or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                session[LAST_ACTIVITY_KEY] = now
            if started is None:  # a session from before this rule: it starts now
                session[LOGIN_AT_KEY] = now
            return None
        logout(request)  # flushes the session: its key is no longer valid anywhere
        messages.info(request, message)
        if _staff_area(request.path):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return None


# --- second factor -------------------------------------------------------------------


def second_factor_step(user) -> str | None:
    """What this signed-in user still owes: "verify" (enrolled, not yet verified in
    this session), "enrol" (required but not enrolled) or None."""
    from django_otp import user_has_device

    from .identity import is_city

    if not user.is_authenticated:
        return None
    # Right after login() request.user is the plain user, without django-otp's method.
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return None
    if user_has_device(user, confirmed=True):
        return "verify"
    if settings.STAFF_OTP_REQUIRED_FOR_CITY and is_city(user):
        return "enrol"
    return None


class SecondFactorMiddleware:
    """In the console and the admin, a signed-in user who owes a second factor is
    sent to the page where they give it (or enrol), and nowhere else."""

    ALLOWED = {
        "verify": ("accounts:otp_verify", "accounts:logout", "accounts:login"),
        "enrol": ("accounts:otp_setup", "accounts:logout", "accounts:login"),
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _staff_area(request.path) and request.user.is_authenticated:
            step = second_factor_step(request.user)
            if step is not None:
                allowed = {reverse(name) for name in self.ALLOWED[step]}
                if request.path not in allowed:
                    target = "accounts:otp_verify" if step == "verify" else "accounts:otp_setup"
                    query = urlencode({"next": request.get_full_path()})
                    return redirect(f"{reverse(target)}?{query}")
        return self.get_response(request)


# --- passwords -----------------------------------------------------------------------


class MaximumLengthValidator:
    """Passwords of up to `max_length` characters (ASVS 2.1.2: at least 64 allowed,
    more than 128 refused)."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long: use at most %(max_length)d character.",
                    "This password is too long: use at most %(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self):
        return ngettext(
            "Your password may be up to %(max_length)d character long; a passphrase of "
            "several words is a good choice.",
            "Your password may be up to %(max_length)d characters long; a passphrase of "
            "several words is a good choice.",
            self.max_length,
        ) % {"max_length": self.max_length}


class MinimumLengthValidator:
    """At least `min_length` characters (ASVS 2.1.1), said in the user's language."""

    def __init__(self, min_length: int = 12):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                ngettext(
                    "This password is too short: use at least %(min_length)d character.",
                    "This password is too short: use at least %(min_length)d characters.",
                    self.min_length,
                ),
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self):
        return ngettext(
            "Your password must have at least %(min_length)d character.",
            "Your password must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertyuiopasdfghjklzxcvbnm")


def _is_run(text: str) -> bool:
    """A repeated short unit ("aaaa", "abcabc"), a sequence ("123456", "fedcba",
    "7890123") or a stretch of a keyboard row ("qwertyuiop")."""
    if len(text) < 2:
        return True
    for unit in range(1, 5):
        if len(text) > unit and text == (text[:unit] * (len(text) // unit + 1))[: len(text)]:
            return True
    for step in (1, -1):
        if all(
            ord(b) - ord(a) == step
            or (a.isdigit() and b.isdigit() and (int(b) - int(a)) % 10 == step % 10)
            for a, b in zip(text, text[1:], strict=False)
        ):
            return True
    for row in KEYBOARD_ROWS:
        for candidate in (row * 3, row[::-1] * 3):
            if text in candidate:
                return True
    return False


class SequencePasswordValidator:
    """Refuses a password that is only a run of characters: "123456789012",
    "aaaaaaaaaaaa", "abcdefghijkl", "qwertyuiopas". NIST SP 800-63B lists repetitive
    or sequential characters among what to refuse; it is not a composition rule."""

    def validate(self, password, user=None):
        text = "".join(password.lower().split())
        if _is_run(text):
            raise ValidationError(
                _(
                    "This password is only a run of characters (like 123456… or aaaa…); choose another."
                ),
                code="password_sequence",
            )

    def get_help_text(self):
        return _("Your password cannot be only a run of characters such as 123456… or aaaa….")
