from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Satisfaction evaluation")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

        from . import (
            pagecache,
            staff_security,  # noqa: F401 — connects the login signal
        )
        from .models import Campaign, Criterion
        from .roles import ensure_groups
        from .services import forget_campaign_criteria

        post_migrate.connect(ensure_groups, sender=self)
        # The criteria cached per campaign (services.campaign_criteria).
        for signal, sender in (
            (m2m_changed, Campaign.criteria.through),
            (post_save, Criterion),
            (post_delete, Criterion),
        ):
            signal.connect(forget_campaign_criteria, sender=sender, weak=False)
        # What invalidates the cached public pages (evaluations.pagecache).
        pagecache.connect_signals()
