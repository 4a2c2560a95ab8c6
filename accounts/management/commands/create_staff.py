"""Create (or update) a staff account with its role and scope.

    python manage.py create_staff USERNAME --role city
    python manage.py create_staff USERNAME --role district --district 420104 [--district …]
    python manage.py create_staff USERNAME --role company --company NAME_OR_CREDIT_CODE

Without --password a strong password is generated and printed once. The
account gets the role's group (its permissions) and a StaffProfile (its
scope); city accounts may also use the Django admin.
"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import StaffProfile
from accounts.roles import GROUP_NAMES, role_group
from communities.models import District, PropertyCompany

Role = StaffProfile.Role


class Command(BaseCommand):
    help = "Create or update a staff account with a role (city, district, company) and scope."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument(
            "--district",
            action="append",
            default=[],
            metavar="CODE",
            help="GB/T 2260 code of a district the reviewer covers (repeatable)",
        )
        parser.add_argument("--company", metavar="NAME_OR_CREDIT_CODE")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="default: a generated one, printed once")

    @transaction.atomic
    def handle(self, *args, username, role, district, company, email, password, **options):
        districts = list(District.objects.filter(code__in=district))
        unknown = set(district) - {d.code for d in districts}
        if unknown:
            raise CommandError(f"Unknown district code(s): {', '.join(sorted(unknown))}")
        if role == Role.DISTRICT and not districts:
            raise CommandError("A district reviewer needs at least one --district CODE.")
        if role != Role.DISTRICT and districts:
            raise CommandError("--district is only for --role district.")
        company_obj = None
        if role == Role.COMPANY:
            if not company:
                raise CommandError("Company staff need --company NAME_OR_CREDIT_CODE.")
            company_obj = (
                PropertyCompany.objects.filter(credit_code=company.upper()).first()
                or PropertyCompany.objects.filter(name=company).first()
            )
            if company_obj is None:
                raise CommandError(f"No property company named or coded {company!r}.")
        elif company:
            raise CommandError("--company is only for --role company.")

        generated = password is None
        password = password or secrets.token_urlsafe(12)
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user.email = email or user.email
        user.is_active = True
        user.is_staff = role == Role.CITY  # only the city bureau uses the Django admin
        user.set_password(password)
        user.save()
        user.groups.remove(*user.groups.filter(name__in=GROUP_NAMES.values()))
        user.groups.add(role_group(role))
        profile, _created = StaffProfile.objects.update_or_create(
            user=user, defaults={"role": role, "company": company_obj}
        )
        profile.districts.set(districts)

        scope = ", ".join(d.name for d in districts) or (company_obj.name if company_obj else "")
        self.stdout.write(f"{username}: {Role(role).label}{f' ({scope})' if scope else ''}")
        if generated:
            self.stdout.write(f"password: {password}")
