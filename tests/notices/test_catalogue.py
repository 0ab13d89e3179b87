"""docs/notices.md states who hears what; the catalogue in code must say the same."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

from notices.catalogue import KINDS, ON_EVENT

DOC = Path(settings.BASE_DIR) / "docs" / "notices.md"


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        found = re.match(
            r"\| `([\w.]+)` [^|]*\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|", line
        )
        if found:
            rows[found.group(1)] = [cell.strip() for cell in found.groups()[1:]]
    return rows


def test_the_documented_table_matches_the_catalogue():
    rows = _rows()
    assert set(rows) == set(KINDS)
    for code, kind in KINDS.items():
        when, audience, inapp, email, sms, optional = rows[code]
        channels = [
            c
            for c, cell in zip(("inapp", "email", "sms"), (inapp, email, sms), strict=True)
            if cell == "yes"
        ]
        assert channels == list(kind.channels), code
        assert optional == ("no" if kind.mandatory else "yes"), code
        assert audience.replace(" ", "_") == kind.audience, code
        for action in re.findall(r"`(\w+)`", when):
            assert code in ON_EVENT[action], (code, action)


def test_every_event_notice_is_documented():
    rows = _rows()
    for action, codes in ON_EVENT.items():
        for code in codes:
            assert f"`{action}`" in rows[code][0], (code, action)


def test_every_sms_text_has_its_fields_and_fits_in_chinese():
    # The Chinese text stays within 70 characters once a petition number (13 characters) is in.
    context = {
        "number": "ZQ2026-000123",
        "note": "",
        "unit": "市工业和信息化局",
        "due": "2026-12-31",
        "title": "恳谈会",
        "date": "2026-12-01",
        "name": "某某有限公司",
        "code": "123456",
        "minutes": "10",
        "overdue": 3,
        "today": 2,
        "tomorrow": 1,
        "n": 4,
        "what": "电子邮箱",
        "level": "汕头高新区",
        "problem": "企业反映的问题一二三四五六七八九十一二三四五",
    }
    with translation.override("zh-hans"):
        for kind in KINDS.values():
            text = str(kind.sms) % context
            assert "%(" not in text
            assert len(text) <= 70, (kind.code, text)
