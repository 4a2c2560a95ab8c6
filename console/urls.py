"""The staff console, under /console/ in the "console" namespace."""

from django.urls import path

from .views import (
    bulk,
    enrollments,
    imports,
    inbox,
    monitoring,
    notices,
    publications,
    questionnaires,
    review,
    showcases,
)
from .views import campaigns as views
from .views import exports as export_views

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read/", inbox.inbox_read, name="inbox_read"),
    path("inbox/preferences/", inbox.inbox_preferences, name="inbox_preferences"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign"),
    path(
        "campaigns/<slug:slug>/step/<str:action>/",
        views.campaign_transition,
        name="campaign_transition",
    ),
    path("campaigns/<slug:slug>/enroll/", views.campaign_enroll, name="campaign_enroll"),
    path("campaigns/<slug:slug>/edit/", views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<slug:slug>/questions/",
        questionnaires.campaign_questions,
        name="campaign_questions",
    ),
    # the city's library of criteria sets (issue 12)
    path("questionnaires/", questionnaires.questionnaire_list, name="questionnaires"),
    path("questionnaires/<id:pk>/", questionnaires.questionnaire_detail, name="questionnaire"),
    path(
        "questionnaires/<id:pk>/edit/",
        questionnaires.questionnaire_edit,
        name="questionnaire_edit",
    ),
    path(
        "questionnaires/<id:pk>/copy/",
        questionnaires.questionnaire_copy,
        name="questionnaire_copy",
    ),
    path("campaigns/<slug:slug>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("campaigns/<slug:slug>/approval/", review.campaign_approval, name="approval"),
    path("campaigns/<slug:slug>/bulk/", bulk.campaign_bulk, name="bulk"),
    path(
        "campaigns/<slug:slug>/publish/<str:kind>/", publications.campaign_publish, name="publish"
    ),
    path("campaigns/<slug:slug>/objections/", publications.campaign_objections, name="objections"),
    path("campaigns/<slug:slug>/audit.csv", publications.audit_csv, name="audit_csv"),
    path("campaigns/<slug:slug>/results.csv", export_views.results_csv_view, name="results_csv"),
    path("campaigns/<slug:slug>/results.xlsx", export_views.results_xlsx_view, name="results_xlsx"),
    # anti-fraud monitoring (issue 5): flags per community, hold for review, release
    path("campaigns/<slug:slug>/monitoring/", monitoring.campaign_monitoring, name="monitoring"),
    path(
        "campaigns/<slug:slug>/monitoring/finalise/",
        monitoring.monitoring_finalise,
        name="monitoring_finalise",
    ),
    path(
        "campaigns/<slug:slug>/monitoring/<id:pk>/",
        monitoring.community_monitoring,
        name="monitoring_community",
    ),
    path(
        "campaigns/<slug:slug>/monitoring/<id:pk>/hold/",
        monitoring.rating_hold,
        name="rating_hold",
    ),
    path(
        "campaigns/<slug:slug>/monitoring/<id:pk>/release/",
        monitoring.rating_release,
        name="rating_release",
    ),
    # household notices (issue 12): printed in the background, households, reissue
    path("campaigns/<slug:slug>/notices/", notices.campaign_notices, name="campaign_notices"),
    path("notice-jobs/<id:pk>/", notices.notice_job, name="notice_job"),
    path("notice-jobs/<id:pk>/resume/", notices.notice_job_resume, name="notice_job_resume"),
    path("notice-jobs/<id:pk>/files/<int:index>/", notices.notice_job_file, name="notice_job_file"),
    path(
        "enrollments/<id:pk>/households/",
        notices.enrollment_households,
        name="enrollment_households",
    ),
    path(
        "enrollments/<id:pk>/households/import/",
        notices.enrollment_households_import,
        name="households_import",
    ),
    path("enrollments/<id:pk>/unenroll/", notices.enrollment_unenroll, name="unenroll"),
    path("enrollments/<id:pk>/", review.enrollment_detail, name="enrollment"),
    path("enrollments/<id:pk>/checks/", review.enrollment_checks, name="enrollment_checks"),
    path(
        "enrollments/<id:pk>/decide/<str:decision>/",
        review.enrollment_decide,
        name="enrollment_decide",
    ),
    path("checks/<id:pk>/evidence/", review.check_evidence, name="check_evidence"),
    path("objections/<id:pk>/answer/", publications.objection_answer, name="objection_answer"),
    path("objections/<id:pk>/photo/", publications.objection_photo, name="objection_photo"),
    path("objections/<id:pk>/confirm/", publications.objection_confirm, name="objection_confirm"),
    path("enrollments/", enrollments.enrollments_across, name="enrollments"),
    path("publications/<id:pk>/", publications.publication_detail, name="publication"),
    path(
        "publications/<id:pk>/feature/",
        publications.publication_feature,
        name="publication_feature",
    ),
    path("entries/<id:pk>/withdraw/", publications.entry_withdraw, name="entry_withdraw"),
    # importing communities and companies (communities.importing)
    path("import/", imports.import_upload, name="import"),
    path("import/confirm/", imports.import_confirm, name="import_confirm"),
    path(
        "import/template/<slug:kind>.xlsx",
        imports.import_template_xlsx,
        name="import_template_xlsx",
    ),
    path(
        "import/template/<slug:kind>.csv", imports.import_template_csv, name="import_template_csv"
    ),
    # showcases and company replies (showcases.services)
    path("showcases/", showcases.showcase_list, name="showcases"),
    path("showcases/<id:pk>/", showcases.showcase_detail, name="showcase"),
    path("showcases/<id:pk>/add/<str:kind>/", showcases.showcase_add, name="showcase_add"),
    path("showcases/<id:pk>/headline/", showcases.showcase_headline, name="showcase_headline"),
    path("showcases/<id:pk>/reply/", showcases.showcase_reply, name="showcase_reply"),
    path("showcase-items/<id:pk>/edit/", showcases.showcase_item_edit, name="showcase_item_edit"),
    path(
        "showcase-items/<id:pk>/withdraw/",
        showcases.showcase_item_withdraw,
        name="showcase_item_withdraw",
    ),
    path("moderation/", showcases.moderation_queue, name="moderation"),
    path("moderation/items/<id:pk>/", showcases.moderation_item, name="moderation_item"),
    path("moderation/replies/<id:pk>/", showcases.moderation_reply, name="moderation_reply"),
    path(
        "moderation/headlines/<id:pk>/",
        showcases.moderation_headline,
        name="moderation_headline",
    ),
]
