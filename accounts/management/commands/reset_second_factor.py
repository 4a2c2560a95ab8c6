"""Remove a staff member's second factor (a lost or replaced phone, no recovery code).

    python manage.py reset_second_factor USERNAME

Deletes the account's TOTP device and recovery codes; sessions that had passed the
second factor with them stop counting as verified at their next request. The
member logs in with the password alone and enrols again on the account page (a
city account must, when STAFF_OTP_REQUIRED_FOR_CITY is on). Check who is asking
before running it: it is how an attacker who has only the password would want in.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Remove a staff member's second factor (TOTP device and recovery codes)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    @transaction.atomic
    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        totp, _ = TOTPDevice.objects.filter(user=user).delete()
        static, _ = StaticDevice.objects.filter(user=user).delete()
        if not totp and not static:
            self.stdout.write(f"{username}: no second factor to remove.")
            return
        self.stdout.write(
            f"{username}: second factor removed; they log in with the password and enrol again."
        )
