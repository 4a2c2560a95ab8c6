"""The site's addresses with the open-data ones in front: the tests of open data do
not depend on how config/urls.py includes them."""

from config import urls as site_urls
from portal import urls as portal_urls

urlpatterns = [*portal_urls.urlpatterns, *site_urls.urlpatterns]
