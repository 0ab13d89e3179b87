"""Chinese is the default language and the zh_Hans catalogue is complete (no untranslated or fuzzy entry)."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCES = [
    "manage.py",
    "zqztc",
    "petitions",
    "supervision",
    "meetings",
    "notices",
    "templates",
    "locale",
    "pyproject.toml",
]


def problems(po: polib.POFile) -> list[str]:
    return [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]


def test_chinese_is_the_default_language():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"


def test_the_catalogue_has_no_untranslated_or_fuzzy_entry():
    po = polib.pofile(str(PO))
    assert len(po) > 100
    assert problems(po) == []


def test_the_compiled_catalogue_matches_the_source():
    po = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if not e.obsolete and not e.msgid_plural}
    mo = {e.msgid: e.msgstr for e in polib.mofile(str(MO)) if not e.msgid_plural}
    assert {k: v for k, v in po.items() if k} == {k: v for k, v in mo.items() if k}


def test_django_uses_the_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Registered") == "已登记"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / name)
    env = {
        "SECRET_KEY": "i18n-check",
        "DJANGO_SETTINGS_MODULE": "zqztc.settings",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    missing = problems(
        polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    )
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing[:20])
