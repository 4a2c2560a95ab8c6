from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Satisfaction evaluation")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import staff_security  # noqa: F401 — connects the login signal
        from .roles import ensure_groups

        post_migrate.connect(ensure_groups, sender=self)
