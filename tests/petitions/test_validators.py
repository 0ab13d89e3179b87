"""Identity validators (docs/rules.md §2): the unified social credit code (GB 32100-2015) and phone numbers.

Messages are only checked to be present: the zh_Hans catalogue may lag behind the msgids, so the
`code` of the ValidationError is what the tests pin down.
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import override
from phonenumber_field.phonenumber import PhoneNumber

from petitions.validators import (
    normalise_uscc,
    uscc_check_character,
    validate_cn_phone,
    validate_uscc,
)


def with_check(first17: str) -> str:
    """A code completed with its correct check character."""
    return first17 + uscc_check_character(first17)


def refusal(validator, value) -> ValidationError:
    """The ValidationError the validator raises for `value` under the Chinese interface."""
    with override("zh-hans"), pytest.raises(ValidationError) as caught:
        validator(value)
    assert all(str(message).strip() for message in caught.value.messages)
    return caught.value


# --- Unified social credit code -----------------------------------------------------------------


def test_the_check_character_of_the_standard_example_is_3():
    assert uscc_check_character("91350100M000100Y4") == "3"


def test_the_check_character_is_0_when_the_weighted_sum_is_a_multiple_of_31():
    assert uscc_check_character("91110108000000008") == "0"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example published with GB 32100-2015
        "914403001922038216",  # 华为技术有限公司
        "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
        "911101080000000080",  # check character 0
        "9111010800000000JY",  # check character Y
        with_check("11100000000013127"),  # a government body (机关)
        with_check("12330100MB0123456"),  # a public institution (事业单位)
        with_check("52330100MJ0012345"),  # a social organisation (社会组织)
        with_check("92330106MA2ABCDEF"),  # an individual business (个体工商户)
    ],
)
def test_a_well_formed_code_is_accepted(code):
    validate_uscc(code)


def test_a_code_typed_in_lower_case_is_accepted():
    validate_uscc("91350100m000100y43")


def test_a_code_typed_with_spaces_is_accepted():
    validate_uscc(" 9135 0100 M000 100Y 43 ")


def test_normalising_a_code_upper_cases_it_and_drops_spaces():
    assert normalise_uscc(" 9135 0100 m000\t100y43\n") == "91350100M000100Y43"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y430",  # 19 characters
        "",
        None,
    ],
)
def test_a_code_that_is_not_18_characters_long_is_refused(code):
    assert refusal(validate_uscc, code).code == "uscc_length"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_a_code_with_a_letter_the_standard_never_uses_is_refused(letter):
    code = "91350100" + letter + "000100Y43"

    assert refusal(validate_uscc, code).code == "uscc_charset"


@pytest.mark.parametrize("letter", ["i", "o", "z", "s", "v"])
def test_a_forbidden_letter_typed_in_lower_case_is_still_refused(letter):
    assert refusal(validate_uscc, "91350100M000100Y4" + letter).code == "uscc_charset"


@pytest.mark.parametrize(
    "code", ["91350100M000100Y4-", "91350100M000100Y4号", "91350100M00010\uff10Y43"]
)
def test_a_code_with_punctuation_chinese_or_full_width_characters_is_refused(code):
    assert refusal(validate_uscc, code).code == "uscc_charset"


@pytest.mark.parametrize("first17", ["91A50100M000100Y4", "91350A00M000100Y4"])
def test_a_code_whose_region_part_is_not_all_digits_is_refused(first17):
    # The check character is right, so the region is the only fault.
    assert refusal(validate_uscc, with_check(first17)).code == "uscc_region"


def test_a_code_with_a_wrong_check_character_is_refused():
    assert refusal(validate_uscc, "91350100M000100Y44").code == "uscc_check"


def test_two_swapped_neighbouring_characters_are_caught_by_the_check_character():
    assert refusal(validate_uscc, "91530100M000100Y43").code == "uscc_check"


# --- Phone numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "13800138000",  # mobile
        "+86 13800138000",  # mobile with the country code
        "+8613800138000",
        "138 0013 8000",
        "0755-12345678",  # Shenzhen landline with its area code
        "010-12345678",  # Beijing landline with its area code
    ],
)
def test_a_chinese_mobile_or_landline_number_is_accepted(phone):
    validate_cn_phone(phone)


def test_a_phone_number_from_a_phone_number_field_is_accepted():
    validate_cn_phone(PhoneNumber.from_string("13800138000", region="CN"))


@pytest.mark.parametrize(
    "phone",
    [
        "12345",  # too short
        "1380013800",  # a mobile number one digit short
        "+1 202 555 0123",  # a US number
        "phone number",  # letters
        "",
        None,
    ],
)
def test_anything_but_a_chinese_mobile_or_landline_number_is_refused(phone):
    assert refusal(validate_cn_phone, phone).code == "phone"
