"""Unified social credit codes (GB 32100-2015): real codes pass, corrupted ones fail."""

import pytest

from app.services import credit_code

# Published codes (business licences / annual reports); each one checked by the algorithm.
REAL_CODES = [
    "91510100633142770A",  # 成都银行股份有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110000100018988F",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert credit_code.is_valid(code)
    assert credit_code.problem(code) is None
    assert credit_code.check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", REAL_CODES)
def test_any_other_check_character_is_refused(code):
    for other in credit_code.ALPHABET.replace(code[17], ""):
        assert not credit_code.is_valid(code[:17] + other)
        assert credit_code.problem(code[:17] + other) == "check"


@pytest.mark.parametrize("code", REAL_CODES)
def test_swapped_neighbouring_characters_are_caught(code):
    for i in range(8, 16):  # inside the organisation code
        if code[i] == code[i + 1]:
            continue
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
        assert not credit_code.is_valid(swapped), swapped


@pytest.mark.parametrize("typed", ["91510100633142770a", " 91510100633142770A ", "914403001922038216\n"])
def test_lower_case_and_spaces_are_accepted_after_normalising(typed):
    assert credit_code.is_valid(typed)
    assert credit_code.normalize(typed) == typed.strip().upper()


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_letters_outside_the_alphabet_are_refused(letter):
    # Put the forbidden letter into the organisation code and fix up the check character
    # as if it were allowed: the shape check must still refuse it.
    code = "91510100" + letter + "33142770A"
    assert credit_code.problem(code) == "characters"
    assert not credit_code.is_valid(code)


@pytest.mark.parametrize("code", ["", "9151010063314277", "91510100633142770", "91510100633142770AA"])
def test_wrong_length_is_refused(code):
    assert credit_code.problem(code) == "length"


def test_division_code_must_be_digits():
    body = "9151A100633142770"
    assert credit_code.problem(body + "0") == "characters"
