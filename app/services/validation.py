"""The checks that the rules of several areas share: collecting field errors and money.

Amounts are in 万元, Decimal, at most two decimals, not negative and within a
Numeric(16, 2) column (services/params.py MAX_AMOUNT), whatever form or API they come
from. services/projects.py and services/needs.py both validate with these."""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from app.services.errors import ValidationFailed
from app.services.params import MAX_AMOUNT

MAX_MONEY = MAX_AMOUNT

# C0 control characters other than tab, line feed and carriage return: invisible, often
# pasted along with text from other systems, and refused by spreadsheets and XML. Every
# form (app/forms.py) and every filter (services/search) refuses text holding one.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
NO_CONTROL_CHARACTERS = _l("Remove the invisible control characters (copied along with the "
                           "text) from this field.")


class Errors(dict):
    """field -> [message], raised at once as ValidationFailed."""

    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationFailed(errors=dict(self))


def check_money(errors: Errors, field: str, value, *, required: bool = True) -> None:
    """An amount in 万元: a number, finite, not negative, two decimals at most, within
    the column. Empty is refused when `required`, accepted otherwise."""
    if value is None or value == "":
        if required:
            errors.add(field, _l("This field is required."))
        return
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        errors.add(field, _l("Enter an amount in 万元, e.g. 1200.50."))
        return
    if not value.is_finite() or value < 0:
        errors.add(field, _l("The amount cannot be negative."))
    elif value.as_tuple().exponent < -2:
        errors.add(field, _l("Use at most two decimals (万元)."))
    elif value > MAX_MONEY:
        errors.add(field, _l("The amount is too large."))


def check_not_above(errors: Errors, field: str, value, ceiling_field: str, ceiling, message) -> None:
    """`field` may not exceed `ceiling` (e.g. the annual plan and the total investment);
    skipped when either amount was already refused or is missing."""
    if field in errors or ceiling_field in errors or value in (None, "") or ceiling in (None, ""):
        return
    if Decimal(value) > Decimal(ceiling):
        errors.add(field, message)


def check_date_order(errors: Errors, data: dict, first: str, second: str, message) -> None:
    if data.get(first) and data.get(second) and data[first] > data[second]:
        errors.add(second, message)
