# syntax=docker/dockerfile:1
# One image for web (gunicorn), worker and beat (Celery); docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

# The code runs from /app, not from site-packages: settings find templates/, static/ and locale/
# relative to BASE_DIR, which must be the checkout. PYTHONPATH puts /app first on sys.path for
# gunicorn, celery and manage.py alike.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=zqztc.settings

# WeasyPrint: Pango + HarfBuzz subsetting (without it large tables render ~15x slower) and the
# Noto CJK fonts (without them Chinese prints as empty boxes). gettext for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-noto-cjk \
        libharfbuzz-subset0 \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall them: with only
# pyproject.toml and README.md present the package itself is empty, and the code follows below.
COPY pyproject.toml README.md ./
RUN pip install .

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
