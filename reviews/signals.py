"""Domain events of review and publication, sent inside the transaction that caused
them (a receiver that acts outside the database defers to the commit). The portal's
page cache and the notifications listen; this app never calls them."""

from django.dispatch import Signal

# A list was published, preliminary or final (a withdrawal sends entry_withdrawn): publication=
publication_published = Signal()
# An entry of the current final list was withdrawn: entry= (the withdrawn entry)
entry_withdrawn = Signal()
# The city chose the list the home page leads with: featured= (a FeaturedList)
featured_list_changed = Signal()
# Checks were written in bulk (bulk_create/bulk_update send no post_save):
# enrollments= (those whose checks changed)
checks_recorded = Signal()
# The city returned an enrollment to its district for another review: enrollment=, reason=
enrollment_returned = Signal()
# Someone filed an objection against an entry of a preliminary list: objection=
objection_filed = Signal()
