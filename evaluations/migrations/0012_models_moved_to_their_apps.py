"""Review and publication, showcases and staff profiles moved to their own apps
(reviews, showcases, console). Their tables stay as they are; this removes the
models from this app's state only, once the new apps have taken them over."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0011_rating_answer_pattern"),
        ("reviews", "0001_initial"),
        ("showcases", "0001_initial"),
        ("console", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="objection",
                    name="answered_by",
                ),
                migrations.RemoveField(
                    model_name="objection",
                    name="entry",
                ),
                migrations.RemoveField(
                    model_name="publication",
                    name="campaign",
                ),
                migrations.RemoveField(
                    model_name="publication",
                    name="published_by",
                ),
                migrations.RemoveField(
                    model_name="publicationentry",
                    name="publication",
                ),
                migrations.RemoveField(
                    model_name="publicationentry",
                    name="enrollment",
                ),
                migrations.RemoveField(
                    model_name="reviewcheck",
                    name="checked_by",
                ),
                migrations.RemoveField(
                    model_name="reviewcheck",
                    name="criterion",
                ),
                migrations.RemoveField(
                    model_name="reviewcheck",
                    name="enrollment",
                ),
                migrations.RemoveField(
                    model_name="reviewcheck",
                    name="prerequisite",
                ),
                migrations.RemoveField(
                    model_name="showcase",
                    name="enrollment",
                ),
                migrations.RemoveField(
                    model_name="showcaseitem",
                    name="showcase",
                ),
                migrations.RemoveField(
                    model_name="showcaseitem",
                    name="criterion",
                ),
                migrations.RemoveField(
                    model_name="showcaseitem",
                    name="reviewed_by",
                ),
                migrations.RemoveField(
                    model_name="showcaseitem",
                    name="submitted_by",
                ),
                migrations.RemoveField(
                    model_name="staffprofile",
                    name="company",
                ),
                migrations.RemoveField(
                    model_name="staffprofile",
                    name="districts",
                ),
                migrations.RemoveField(
                    model_name="staffprofile",
                    name="user",
                ),
                migrations.DeleteModel(
                    name="CompanyReply",
                ),
                migrations.DeleteModel(
                    name="Objection",
                ),
                migrations.DeleteModel(
                    name="Publication",
                ),
                migrations.DeleteModel(
                    name="PublicationEntry",
                ),
                migrations.DeleteModel(
                    name="ReviewCheck",
                ),
                migrations.DeleteModel(
                    name="Showcase",
                ),
                migrations.DeleteModel(
                    name="ShowcaseItem",
                ),
                migrations.DeleteModel(
                    name="StaffProfile",
                ),
            ],
        ),
    ]
