"""What an import of communities needs from a campaign it enrolls them into.

Communities are the bottom layer: they know nothing of campaigns. An app above
(evaluations.campaigns.CampaignEnrolment) implements this protocol and the
interface passes it to plan_import / import_file; the rules of enrolling (when
it is allowed, what a new enrollment records and audits) stay over there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..models import Community


class EnrollmentRowRefused(Exception):
    """The rules refuse to enroll this row's community; str(error) is shown to the
    person, after the row's line number."""


class Enrolment(Protocol):
    """Enrolling the imported communities into one campaign."""

    @property
    def label(self) -> str:
        """What the person sees: the campaign's name, in their language."""
        ...

    def refusal(self) -> str | None:
        """Why no community can be enrolled now (a message for the person), or None."""
        ...

    def enrolled_community_ids(self) -> set[int]:
        """The communities enrolled already (re-importing them enrolls nothing)."""
        ...

    def enroll(self, community: Community) -> None:
        """Enroll one saved community, inside the import's transaction; raise
        EnrollmentRowRefused when the rules refuse it."""
        ...
