"""Test settings: the real settings module with fast, self-contained overrides."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DEBUG", "0")

from zqztc.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = tempfile.mkdtemp(prefix="zqztc-media-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_URL = "locmem://"
CELERY_TASK_ALWAYS_EAGER = True
AXES_ENABLED = False
SECURE_SSL_REDIRECT = False
LANGUAGE_CODE = "zh-hans"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_ROOT = tempfile.mkdtemp(prefix="zqztc-static-")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
