"""Rating.answer_pattern: the answers per criterion as one number, stored when a
rating is made (models.answer_pattern), so that the anomaly monitoring groups ratings
by their answers without reading every answer row. Existing ratings get theirs here,
one UPDATE per campaign from their answer rows."""

from django.db import migrations, models
from django.db.models import Case, IntegerField, OuterRef, Subquery, Sum, Value, When

# The order of the answers is the digit (evaluations.models.Answer, frozen here).
ANSWERS = ("satisfied", "basically_satisfied", "unsatisfied")


def backfill(apps, schema_editor):
    Campaign = apps.get_model("evaluations", "Campaign")
    Rating = apps.get_model("evaluations", "Rating")
    RatingAnswer = apps.get_model("evaluations", "RatingAnswer")
    for campaign in Campaign.objects.all():
        criteria = list(campaign.criteria.order_by("order", "code").values_list("pk", flat=True))
        if not criteria:
            continue
        whens = [
            When(criterion_id=pk, answer=answer, then=Value(digit * 3**position))
            for position, pk in enumerate(criteria)
            for digit, answer in enumerate(ANSWERS)
        ]
        per_rating = (
            RatingAnswer.objects.filter(rating=OuterRef("pk"))
            .order_by()
            .values("rating")
            .annotate(p=Sum(Case(*whens, default=Value(0), output_field=IntegerField())))
            .values("p")
        )
        Rating.objects.filter(enrollment__campaign=campaign, answer_pattern=None).update(
            answer_pattern=Subquery(per_rating, output_field=IntegerField())
        )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0010_rating_counted_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="rating",
            name="answer_pattern",
            field=models.PositiveIntegerField(
                blank=True, editable=False, null=True, verbose_name="answer pattern"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
