from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Public portal")

    def ready(self) -> None:
        from . import pagecache

        # The domain's events and model changes that invalidate cached public pages.
        pagecache.connect_signals()
