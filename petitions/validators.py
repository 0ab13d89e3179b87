"""Validators for identity data (docs/rules.md §2)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 32100-2015: 31 characters, the digits and the capitals without I, O, Z, S, V.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_LENGTH = 18


def normalise_uscc(value: str) -> str:
    """Upper-case and strip spaces, so that a code typed in lower case is accepted."""
    return "".join(value.split()).upper()


def uscc_check_character(first17: str) -> str:
    """The 18th character computed from the first 17 (GB 32100-2015 §4.3)."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """Reject anything that is not a well-formed unified social credit code."""
    code = normalise_uscc(value or "")
    if len(code) != USCC_LENGTH:
        raise ValidationError(
            _("The unified social credit code must have 18 characters; this one has %(n)d.")
            % {"n": len(code)},
            code="uscc_length",
        )
    bad = sorted({c for c in code if c not in USCC_CHARSET})
    if bad:
        raise ValidationError(
            _(
                "The unified social credit code contains characters that are not allowed: %(chars)s "
                "(the letters I, O, Z, S and V are never used)."
            )
            % {"chars": "、".join(bad)},
            code="uscc_charset",
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _(
                "Characters 3 to 8 of the unified social credit code are the region code and must be digits."
            ),
            code="uscc_region",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _(
                "The check character of this unified social credit code is wrong; please check the code."
            ),
            code="uscc_check",
        )


_ACCEPTED_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def validate_cn_phone(value: object) -> None:
    """A Chinese mobile or landline number (landlines with their area code)."""
    raw = getattr(value, "as_e164", None) or str(value or "")
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != "CN"
        or phonenumbers.number_type(number) not in _ACCEPTED_TYPES
    ):
        raise ValidationError(
            _(
                "Enter a Chinese mobile number (11 digits) or a landline number with its area code, "
                "e.g. 0755-12345678."
            ),
            code="phone",
        )
