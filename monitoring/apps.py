from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Anomaly monitoring")

    def ready(self) -> None:
        from evaluations.signals import campaign_changed

        campaign_changed.connect(_on_campaign_changed, dispatch_uid="monitoring-store")


def _on_campaign_changed(sender, campaign, **kwargs) -> None:
    """Rating has closed: the analysis is computed by a worker before anyone asks
    (flags.campaign_monitoring_stored; 8 s of PostgreSQL at a million ratings)."""
    if campaign.status == campaign.Status.CLOSED:
        from .tasks import store_after_commit

        store_after_commit(campaign)
