"""Every delivery row is updated two or three times within minutes (claimed, sent or put back), and the
claim reads the partial index `delivery_due`: vacuum the table after 1 % of it changed instead of
PostgreSQL's default 20 %, so dead versions do not pile up under the claim (bench/README.md,
"Notice delivery"). Nothing to do on SQLite."""

from django.db import migrations

TUNED = (
    "ALTER TABLE notices_delivery SET (autovacuum_vacuum_scale_factor = 0.01, "
    "autovacuum_analyze_scale_factor = 0.02)"
)
DEFAULT = (
    "ALTER TABLE notices_delivery RESET (autovacuum_vacuum_scale_factor, "
    "autovacuum_analyze_scale_factor)"
)


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("notices", "0003_channel_label")]

    operations = [migrations.RunPython(_run(TUNED), _run(DEFAULT))]
