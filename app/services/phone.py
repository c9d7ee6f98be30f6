"""Chinese telephone numbers as people write them in contact details.

Accepted, with optional spaces or hyphens between the groups of digits:
- a mainland mobile number: 11 digits starting 13–19 (13812345678, 138 1234 5678,
  +86 138-1234-5678);
- a landline with its area code: 0 and two or three digits, then a 7- or 8-digit number
  not starting with 0 (028-12345678, 0832-1234567, (028) 8765 4321), optionally followed
  by an extension of up to six digits (028-12345678-801, 028-12345678转801).
The value is stored as typed, trimmed.
"""

import re

from flask_babel import lazy_gettext as _l

RULE = _l("Enter a mobile number (11 digits) or a landline with its area code, "
          "e.g. 13812345678 or 028-12345678.")

MOBILE = re.compile(r"^(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}$")
LANDLINE = re.compile(
    r"^(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[\s-]?"  # area code
    r"[1-9]\d{2,3}[\s-]?\d{4}"                        # the number, 7 or 8 digits
    r"(?:\s?(?:-|转|分机|ext\.?|#)\s?\d{1,6})?$",      # extension
    re.IGNORECASE,
)


def is_valid(value: str | None) -> bool:
    value = (value or "").strip()
    return bool(MOBILE.match(value) or LANDLINE.match(value))
