"""Domain events of the core app, sent inside the transaction that caused them
(a receiver that acts outside the database defers to the commit, as the page cache's
bump does). The apps above listen (the portal's page cache, for one); the core never
calls them."""

from django.dispatch import Signal

# A campaign's status changed (opened, closed, archived, published): campaign=
campaign_changed = Signal()
