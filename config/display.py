"""How a page is displayed for this visitor: the elder mode (适老化, docs/accessibility.md).

A preference kept in a cookie, like the language: every page reads it (a context
processor for base.html), the public pages' cache keeps the two modes apart
(portal.pagecache), and the switch is a plain GET link (portal.views.switch_display).
"""

from django.http import HttpRequest

ELDER_COOKIE = "manyi_elder"
ELDER_COOKIE_AGE = 365 * 24 * 3600


def elder_mode(request: HttpRequest) -> bool:
    return request.COOKIES.get(ELDER_COOKIE) == "1"


def display(request: HttpRequest) -> dict:
    """Context processor: `elder_mode` for base.html."""
    return {"elder_mode": elder_mode(request)}
