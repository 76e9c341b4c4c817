from django.db import migrations, models
from django.db.models import F


def mark_open_attempts_posted(apps, schema_editor):
    # Attempts made before the marker existed may have sent their POST: the ones whose
    # placement is still unsettled count as posted, so recovery never takes them for
    # "nothing sent" (settled placements are never decided again).
    attempt = apps.get_model("integration", "PlacementAttempt")
    attempt.objects.filter(kind="place", placement__state__in=["submitting", "unknown"]).update(
        posted_at=F("started_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integration", "0007_webhooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="placementattempt",
            name="posted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_open_attempts_posted, migrations.RunPython.noop),
    ]
