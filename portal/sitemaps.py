"""sitemap.xml: the public pages worth finding — home, the search, the privacy
statement, open data, each current list with its districts, and each community on one.
Never a rating page or a receipt (robots.txt keeps crawlers out of those)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from communities.models import Community
from reviews.models import PublicationEntry

from . import queries


class StaticPages(Sitemap):
    changefreq = "weekly"

    def items(self):
        return ["home", "search", "open_data_index", "privacy"]

    def location(self, item):
        return reverse(item)


class Lists(Sitemap):
    changefreq = "monthly"

    def items(self):
        return list(queries.current_publications().select_related("campaign"))

    def location(self, publication):
        return reverse("campaign_list", args=[publication.campaign.slug])

    def lastmod(self, publication):
        return publication.published_at


class Districts(Sitemap):
    changefreq = "monthly"

    def items(self):
        return [
            (publication.campaign.slug, count.district.code)
            for publication in queries.current_publications().select_related("campaign")
            for count in queries.district_counts(publication)
            if count.count
        ]

    def location(self, item):
        return reverse("district", args=list(item))


class Communities(Sitemap):
    changefreq = "monthly"

    def items(self):
        listed = PublicationEntry.objects.filter(
            publication__in=queries.current_publications().values("pk"),
            status=PublicationEntry.Status.LISTED,
        ).values("enrollment__community_id")
        return Community.objects.filter(pk__in=listed).order_by("pk").values_list("pk", flat=True)

    def location(self, pk):
        return reverse("community", args=[pk])


SITEMAPS = {
    "pages": StaticPages,
    "lists": Lists,
    "districts": Districts,
    "communities": Communities,
}
