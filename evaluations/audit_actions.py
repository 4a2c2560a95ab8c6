"""The audit log's actions and how each is named to a person. Every app's decisions
are listed here, so that the log reads the same wherever an entry came from; a new
audited step adds its action here (the audit test fails on an unnamed one)."""

from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "campaign_created": _("Campaign created"),
    "campaign_open": _("Rating opened"),
    "campaign_close": _("Rating closed"),
    "campaign_archive": _("Campaign archived"),
    "campaign_updated": _("Campaign changed"),
    "campaign_cancelled": _("Campaign cancelled"),
    "enrollment_created": _("Enrolled"),
    "enrollment_removed": _("Un-enrolled"),
    "codes_issued": _("Household codes issued"),
    "code_revoked": _("Household code revoked"),
    "code_reissued": _("Household code reissued"),
    "notices_delivered": _("Notices delivered"),
    "households_imported": _("Households imported"),
    "notice_job_started": _("Notice printing started"),
    "check_recorded": _("Check recorded"),
    "recommended": _("Recommended"),
    "rejected": _("Not recommended"),
    "approved": _("Approved"),
    "returned": _("Returned"),
    "dropped": _("Dropped after objection"),
    "preliminary_published": _("Preliminary list published"),
    "left_out": _("Left out of the list undecided"),
    "objection_filed": _("Objection filed"),
    "objection_upheld": _("Objection upheld"),
    "objection_dismissed": _("Objection dismissed"),
    "objection_uphold_proposed": _("Objection upheld by the district, awaiting the city"),
    "objection_uphold_confirmed": _("Uphold of the objection confirmed by the city"),
    "objection_uphold_refused": _("Uphold of the objection sent back by the city"),
    "objection_filer_told": _("Filer told of the answer"),
    "featured_list_chosen": _("List featured on the home page"),
    "final_published": _("Final list published"),
    "notice_shortened": _("Notice period ended early (demo)"),
    "entry_withdrawn": _("Entry withdrawn"),
    "import_communities": _("Communities imported"),
    "import_companies": _("Companies imported"),
    "showcase_item_submitted": _("Showcase material submitted"),
    "showcase_item_updated": _("Showcase material changed"),
    "showcase_item_withdrawn": _("Showcase material withdrawn"),
    "showcase_item_approved": _("Showcase material approved"),
    "showcase_item_rejected": _("Showcase material rejected"),
    "showcase_headline_set": _("Showcase headline changed"),  # before issue 11: unmoderated
    "showcase_headline_submitted": _("Showcase headline sent for review"),
    "showcase_headline_withdrawn": _("Proposed showcase headline withdrawn"),
    "showcase_headline_removed": _("Showcase headline removed"),
    "showcase_headline_approved": _("Showcase headline approved"),
    "showcase_headline_rejected": _("Showcase headline rejected"),
    "reply_submitted": _("Company reply submitted"),
    "reply_approved": _("Company reply approved"),
    "reply_rejected": _("Company reply rejected"),
    "rating_quarantined": _("Rating held for review"),
    "rating_released": _("Rating released"),
    "monitoring_finalised": _("Monitoring finalised: rates visible"),
    "publication_anchored": _("Publication anchored in the audit chain"),
    "questionnaire_created": _("Criteria set created"),
    "questionnaire_revised": _("Criteria set edited: new version"),
    "questionnaire_taken": _("Campaign took a criteria set"),
    "question_changed": _("Campaign question changed"),
    "admin_added": _("Added in the admin"),
    "admin_changed": _("Changed in the admin"),
    "admin_deleted": _("Deleted in the admin"),
}

# Actions whose before/after hold texts, not statuses.
AUDIT_TEXT_ACTIONS = {a for a in AUDIT_ACTIONS if a.startswith(("showcase_", "reply_", "question"))}

# Stages of a campaign that are not statuses of its own but follow from its lists
# (reviews.publishing.campaign_stage): a closed campaign whose preliminary list is out
# is "in public notice", then "notice ended" until the final list is published.
CAMPAIGN_STAGES = {
    "notice": _("In public notice"),
    "notice_ended": _("Public notice ended"),
}
