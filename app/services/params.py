"""Numbers from query strings and addresses, read in one place.

Whatever a visitor types into ?page=, ?min_amount= or an id in a URL, the rest of the code
only ever sees a number the database can hold: ids within an INTEGER column, page numbers
within MAX_PAGE, amounts finite, not negative and within a Numeric(16, 2) column. Reading
is either lenient (page numbers: a bad one is page 1, a huge one the last page) or strict
(filters: a bad value raises BadNumber with the message to show beside the field).
"""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

MAX_ID = 2**31 - 1  # ids beyond an INTEGER column cannot exist (and overflow SQLite)
MAX_PAGE = 100_000
MAX_AMOUNT = Decimal("99999999999999.99")  # Numeric(16, 2), in 万元
CENT = Decimal("0.01")
INTEGER = re.compile(r"[+-]?[0-9]{1,40}")


class BadNumber(ValueError):
    """A value that is not an acceptable number; `message` says why, for the reader."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def valid_id(value) -> bool:
    """Could `value` be the id of a row? (bool is not an id, though it is an int.)"""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def parse_int(raw, *, minimum: int, maximum: int) -> int | None:
    """An integer in [minimum, maximum]; None when nothing was given."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    if not INTEGER.fullmatch(text):
        raise BadNumber(_l("Enter a whole number."))
    value = int(text)
    if not minimum <= value <= maximum:
        raise BadNumber(_l("Enter a number from %(min)d to %(max)d.", min=minimum, max=maximum))
    return value


def int_arg(args, name: str, default: int, *, minimum: int, maximum: int) -> int:
    """A lenient integer from a query string: a malformed value is `default`, one out of
    range is brought back to the nearest bound."""
    text = (args.get(name) or "").strip()
    if not INTEGER.fullmatch(text):
        return default
    return min(max(int(text), minimum), maximum)


def page_arg(args, name: str = "page") -> int:
    """The page asked for: 1 when missing or malformed, at most MAX_PAGE (and a list shows
    its last page when asked for one beyond it)."""
    return int_arg(args, name, 1, minimum=1, maximum=MAX_PAGE)


def parse_amount(raw) -> Decimal | None:
    """An amount in 万元 as typed into a filter: None when empty; finite, not negative,
    within MAX_AMOUNT, rounded to the cent. Anything else raises BadNumber."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    text = text.replace(",", "").replace("，", "")
    try:
        value = Decimal(text) if len(text) <= 40 else Decimal("NaN")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise BadNumber(_l("Enter an amount in 10k yuan, e.g. 5000 or 1200.50."))
    if value < 0:
        raise BadNumber(_l("The amount cannot be negative."))
    if value > MAX_AMOUNT:
        raise BadNumber(_l("The amount is too large."))
    return value.quantize(CENT)


def amount_range_error(minimum: Decimal | None, maximum: Decimal | None):
    """The message for a range whose upper amount is below its lower one, else None."""
    if minimum is not None and maximum is not None and maximum < minimum:
        return _l("The upper amount cannot be below the lower amount.")
    return None
