"""How a page is displayed for this visitor: the elder mode (适老化, docs/accessibility.md).

A preference kept in a cookie, like the language: every page reads it (a context
processor for base.html), the public pages' cache keeps the two modes apart
(portal.pagecache), and the switch is a plain GET link (portal.views.switch_display).
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

ELDER_COOKIE = "manyi_elder"
ELDER_COOKIE_AGE = 365 * 24 * 3600


def elder_mode(request: HttpRequest) -> bool:
    return request.COOKIES.get(ELDER_COOKIE) == "1"


def display(request: HttpRequest) -> dict:
    """Context processor: `elder_mode` for base.html."""
    return {"elder_mode": elder_mode(request)}


@dataclass(frozen=True)
class SiteIdentity:
    """Who issues the site, from the settings (SITE_*), in the language of the request."""

    issuer: str
    city: str
    hotline: str
    icp: str
    psb: str
    psb_code: str
    seal: str
    demo: bool


def identity() -> SiteIdentity:
    english = (get_language() or "").startswith("en")
    return SiteIdentity(
        issuer=(english and settings.SITE_ISSUER_EN) or settings.SITE_ISSUER,
        city=(english and settings.SITE_CITY_EN) or settings.SITE_CITY,
        hotline=settings.SITE_HOTLINE,
        icp=settings.SITE_ICP,
        psb=settings.SITE_PSB,
        psb_code=settings.SITE_PSB_CODE,
        seal=settings.SITE_SEAL,
        demo=settings.SITE_DEMO,
    )


def site_identity(request: HttpRequest) -> dict:
    """Context processor: `site` for every footer."""
    return {"site": identity(), "site_url": settings.SITE_URL}
