from django.db import migrations, models


def false_was_never_chosen(apps, schema_editor):
    # Nothing wrote the field before this migration: False only meant "not chosen".
    apps.get_model("tailscale_sidecar", "DesiredConfig").objects.filter(
        outbound_proxy=False
    ).update(outbound_proxy=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tailscale_sidecar", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="desiredconfig",
            name="outbound_proxy",
            field=models.BooleanField(default=None, null=True),
        ),
        migrations.RunPython(false_was_never_chosen, migrations.RunPython.noop),
    ]
