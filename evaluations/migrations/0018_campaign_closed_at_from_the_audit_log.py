"""Campaigns closed before 0014 have no closed_at: the rating page then says rating
closed at the planned time, which is wrong for a campaign closed early. The audit log
has the real moment: every close (by staff or by the schedule) went through
campaign_transition, which records "campaign_close". Each such campaign gets the time
of its latest close entry. A campaign with none (closed before the audit log existed,
or never closed) is left as it was: its planned close is the best that is known."""

from django.db import migrations
from django.db.models import Max

CLOSED_STATES = ("closed", "published", "archived", "cancelled")


def closed_at_from_the_audit_log(apps, schema_editor):
    Campaign = apps.get_model("evaluations", "Campaign")
    AuditEntry = apps.get_model("evaluations", "AuditEntry")
    closes = dict(
        AuditEntry.objects.filter(action="campaign_close", campaign__isnull=False)
        .values("campaign_id")
        .annotate(last=Max("at"))
        .values_list("campaign_id", "last")
    )
    for campaign in Campaign.objects.filter(
        closed_at__isnull=True, status__in=CLOSED_STATES, pk__in=list(closes)
    ).only("pk"):
        Campaign.objects.filter(pk=campaign.pk).update(closed_at=closes[campaign.pk])


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0017_criterion_code_unique_per_campaign"),
    ]

    operations = [
        # Backwards: nothing to undo (the column stays; 0014's reverse drops it).
        migrations.RunPython(closed_at_from_the_audit_log, migrations.RunPython.noop),
    ]
