"""What the bench scripts share: the settings of a benchmark, the bench database, the reference data
(a city, its districts, 60 handling units with one handler each, the task force) and the firms.

Each script puts the repository on sys.path, imports this module and calls `configure` with its
default database before Django is set up.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

HANDLING_UNITS = 60
FIRMS = 3000


def configure(database_url: str) -> None:
    """The real settings module, configured for a benchmark: no DEBUG (it would keep every query),
    plain static storage (no collectstatic manifest), persistent connections as production uses."""
    os.environ.setdefault("DATABASE_URL", database_url)
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-never-used-in-production-0123456789")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault(
        "STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    os.environ.setdefault("CONN_MAX_AGE", "600")
    os.environ.setdefault("AXES_ENABLED", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zqztc.settings")


def log(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - a command-line script reports on stdout


def database_name() -> str:
    name = urlparse(os.environ["DATABASE_URL"]).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to use {name!r}: the bench database name must contain 'bench'")
    return name


def ensure_database(name: str, fresh: bool) -> None:
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    admin = psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cur.fetchone() is not None
        if exists and fresh:
            log(f"dropping {name}")
            cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            log(f"creating {name}")
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_reference_data() -> dict:
    """A city with 6 districts; 48 city departments, the 6 district governments and 6 district
    departments handle petitions (60 units); one handler per unit; the task force."""
    from petitions.models import OrgUnit, Role, Theme, UnitKind, User

    city, _ = OrgUnit.objects.get_or_create(name="基准市", parent=None, defaults={"kind": "city"})
    districts = [
        OrgUnit.objects.get_or_create(
            name=f"基准{i}区", parent=city, defaults={"kind": UnitKind.DISTRICT}
        )[0]
        for i in range(1, 7)
    ]
    units = [
        OrgUnit.objects.get_or_create(
            name=f"市第{i:02d}局", parent=city, defaults={"kind": UnitKind.DEPARTMENT}
        )[0]
        for i in range(1, 49)
    ]
    units += districts
    units += [
        OrgUnit.objects.get_or_create(
            name=f"{d.name}市场监管局", parent=d, defaults={"kind": UnitKind.DEPARTMENT}
        )[0]
        for d in districts
    ]
    assert len(units) == HANDLING_UNITS
    task_force, _ = OrgUnit.objects.get_or_create(
        name="基准市工作专班", parent=city, defaults={"kind": UnitKind.TASK_FORCE}
    )
    handlers = []
    for i, unit in enumerate(units):
        user, created = User.objects.get_or_create(
            username=f"bench_handler_{i:02d}", defaults={"role": Role.HANDLER, "unit": unit}
        )
        if created:
            user.set_unusable_password()
            user.save()
        handlers.append(user)
    staff, _ = User.objects.get_or_create(
        username="bench_staff", defaults={"role": Role.TASK_FORCE, "unit": task_force}
    )
    themes = list(Theme.objects.order_by("pk").values_list("pk", flat=True))
    return {
        "city": city,
        "units": units,
        "handlers": handlers,
        "staff": staff,
        "themes": themes,
    }


FIRM_COLUMNS = [
    "uscc",
    "name",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "email",
    "address",
    "jurisdiction_id",
    "industry",
    "ownership",
    "is_chamber",
    "project_stage",
    "is_verified",
    "created_at",
]


def defaults_for_other_columns(model, given: list[str]) -> tuple[str, str]:
    """Columns added to the model after this script was written: NOT NULL ones get their
    Django default as a literal (a blank text field's is ""), so the loader keeps working as the
    schema grows."""
    from django.db import connection

    names, values = [], []
    for field in model._meta.concrete_fields:
        blank_text = field.blank and field.empty_strings_allowed
        if field.column in given or field.primary_key or field.null:
            continue
        if not (field.has_default() or blank_text):
            continue
        default = field.get_default()
        names.append(field.column)
        with connection.cursor() as cur:
            literal = cur.mogrify("%s", [default])  # str with psycopg 3, bytes with psycopg2
            values.append(literal.decode() if isinstance(literal, bytes) else literal)
    if not names:
        return "", ""
    return ", " + ", ".join(names), ", " + ", ".join(values)


def sql_array(values: list[int]) -> str:
    return "ARRAY[" + ",".join(str(v) for v in values) + "]::bigint[]"


def insert_firms(cur, city: int) -> int:
    """FIRMS verified private firms of the city, in SQL; returns the id of the first."""
    from petitions.models import Enterprise

    extra = defaults_for_other_columns(Enterprise, FIRM_COLUMNS)
    cur.execute(
        f"""
        INSERT INTO petitions_enterprise (uscc, name, legal_representative, contact_name,
            contact_phone, email, address, jurisdiction_id, industry, ownership, is_chamber,
            project_stage, is_verified, created_at{extra[0]})
        SELECT '91449900' || lpad(g::text, 9, '0') || 'X', '基准企业' || g || '有限公司', '王法人',
            '张经理', '+8613800' || lpad((g % 100000)::text, 5, '0'), 'firm' || g || '@example.com',
            '基准市某路' || g || '号', {city}, '制造业', 'private', false, '', true, now()
            {extra[1]}
        FROM generate_series(1, {FIRMS}) g
        """
    )
    cur.execute("SELECT min(id) FROM petitions_enterprise")
    return cur.fetchone()[0]


def petition_count() -> int:
    from petitions.models import Petition

    return Petition.objects.count()
