# syntax=docker/dockerfile:1
# One image for web (gunicorn), worker and beat (Celery); docker-compose.yml picks the command.
# Python packages come from requirements/production.lock (pinned with hashes; `make lock`).

# --- build: the locked packages in /venv --------------------------------------------------------
# psycopg's C module is compiled here against Debian's libpq (psycopg's recommended production
# install: linked to the system libpq and libssl, which apt keeps patched). The compiler and the
# headers stay in this stage.
FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*

COPY requirements/production.lock /tmp/production.lock
RUN python -m venv /venv \
    && /venv/bin/pip install --require-hashes -r /tmp/production.lock

# --- runtime --------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

# The code runs from /app, not from site-packages: settings find templates/, static/ and locale/
# relative to BASE_DIR, which must be the checkout. PYTHONPATH puts /app first on sys.path for
# gunicorn, celery and manage.py alike. PSYCOPG_IMPL=c: fail at start rather than silently fall
# back to the slower pure-Python psycopg.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/venv/bin:$PATH \
    PYTHONPATH=/app \
    PSYCOPG_IMPL=c \
    DJANGO_SETTINGS_MODULE=zqztc.settings

# libpq5 for psycopg. WeasyPrint: Pango + HarfBuzz subsetting (without it large tables render ~15x
# slower) and the Noto CJK fonts (without them Chinese prints as empty boxes). gettext for
# compilemessages. postgresql-client (15 on bookworm, as the postgres:15 service) for
# `manage.py backup` / `restore`, which run pg_dump and pg_restore.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpq5 \
        postgresql-client \
        fonts-noto-cjk \
        libharfbuzz-subset0 \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        gettext \
    && rm -rf /var/lib/apt/lists/*

# Same base image, same path: the venv's interpreter link (/usr/local/bin/python3.11) still holds.
COPY --from=build /venv /venv

WORKDIR /app
COPY . .

# Settings refuse to load without SECRET_KEY; compiling messages needs none, so a throwaway one.
RUN SECRET_KEY=build-only-not-a-secret DEBUG=0 python manage.py compilemessages

RUN groupadd --system zqztc \
    && useradd --system --gid zqztc --home-dir /app --no-create-home zqztc \
    && mkdir -p /app/media /app/staticfiles \
    && chown zqztc:zqztc /app/media /app/staticfiles
USER zqztc

EXPOSE 8000
CMD ["gunicorn", "zqztc.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
