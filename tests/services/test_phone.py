"""Telephone numbers in contact details: mainland mobiles and landlines with area code."""

import pytest

from app.services import phone


@pytest.mark.parametrize("value", [
    "13812345678", "19912345678", "138 1234 5678", "138-1234-5678", "+86 13812345678",
    "+86-138-1234-5678", "8613812345678",
    "028-12345678", "02812345678", "028 8765 4321", "(028) 8765 4321", "（028）87654321",
    "0832-1234567", "010-61234567", "028-12345678-801", "028-12345678转801", "028-12345678 转 8",
    "  028-86665000  ",
])
def test_valid_numbers(value):
    assert phone.is_valid(value)


@pytest.mark.parametrize("value", [
    "", "   ", None, "12812345678",  # no mobile network starts 12
    "1381234567", "138123456789",  # 10 and 12 digits
    "10086", "12345678",  # no area code
    "028-02345678",  # a local number never starts with 0
    "028-123456", "028-123456789",  # 6 and 9 digits
    "28-12345678", "0281-2345-678-", "028-12345678-1234567",  # extension too long
    "tel:028-12345678", "028-1234567a", "电话028-12345678",
])
def test_refused_numbers(value):
    assert not phone.is_valid(value)
