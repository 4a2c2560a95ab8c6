from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import staff_security  # noqa: F401 — connects the login signal
        from .roles import ensure_groups

        # After this app's migrations; the apps whose permissions the roles take come
        # before it in INSTALLED_APPS, so theirs exist by then.
        post_migrate.connect(ensure_groups, sender=self)
