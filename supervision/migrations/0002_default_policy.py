from django.db import migrations


def seed(apps, schema_editor):
    apps.get_model("supervision", "SupervisionPolicy").objects.get_or_create(jurisdiction=None)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
