"""Why a campaign's rates are not shown now (Campaign.rates_visible is False): while
residents can rate (SPEC step 3), and after the close until the city has finalised
the monitoring, so that holds are settled while nobody can see rates (issue 11).
Imports no model: models and tally both ask it."""

from django.utils.translation import gettext as _


def rates_refusal(status: str) -> str:
    if status in ("draft", "open"):
        return _("Rates are not shown while the campaign is open; only turnout is.")
    return _(
        "Rates are shown once the city has finalised the monitoring of this campaign: "
        "holds are settled while nobody can see rates."
    )
