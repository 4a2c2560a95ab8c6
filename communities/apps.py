from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Places and property companies")

    def ready(self) -> None:
        from communities import checks  # noqa: F401  (registers the system checks)
