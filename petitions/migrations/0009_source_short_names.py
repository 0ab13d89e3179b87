"""Seeded time-limit sources named their document by its file number; name it by the short name the docs
use ("Shantou 三(三)", docs/rules.md, "Sources") on databases seeded before the rename."""

import re

from django.db import migrations

NAMES = {"000": "Heyuan", "001": "Pingdingshan", "002": "Uxin", "003": "Hailar", "004": "Shantou"}
NUMBERED = re.compile(r"\b(00[0-4])(?=\s*[一二三四五六七八九十]|\s*附件|[);]|$)")


def rename(apps, schema_editor):
    policy = apps.get_model("petitions", "TimeLimitPolicy")
    for row in policy.objects.filter(jurisdiction__isnull=True).exclude(source=""):
        source = NUMBERED.sub(lambda m: NAMES[m[1]], row.source)
        if source != row.source:
            policy.objects.filter(pk=row.pk).update(source=source)


class Migration(migrations.Migration):
    dependencies = [("petitions", "0008_history")]
    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
