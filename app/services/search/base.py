"""The shape every filter object shares: reading, refusing, writing back.

A subclass is a dataclass that declares its fields and says how each is read:
CHOICES (name -> test of an allowed value), TEXT (free text), IDS (row ids), AMOUNTS
((lower, upper) pairs in 万元), DATES ((from, to) pairs of calendar days), and SORTS, the
names of its orders with DEFAULT_SORT first among them.
"""

import enum
from dataclasses import dataclass, field, fields
from datetime import date
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services.params import MAX_ID, BadNumber, amount_range_error, parse_amount, parse_int
from app.services.validation import CONTROL_CHARACTERS, NO_CONTROL_CHARACTERS

TEXT_LIMIT = 100
CHOOSE = _l("Choose a value from the list.")


def _text(value) -> str:
    """A value as the query string carries it (the API passes enums, numbers, dates)."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class Filters:
    sort: str = ""
    # What was typed into a refused filter (shown back in the form), and why it was
    # refused: field -> [message]. A refused filter is not applied.
    typed: dict = field(default_factory=dict, compare=False, repr=False)
    errors: dict = field(default_factory=dict, compare=False, repr=False)

    CHOICES: ClassVar[dict] = {}
    TEXT: ClassVar[tuple] = ()
    IDS: ClassVar[tuple] = ()
    AMOUNTS: ClassVar[tuple] = ()
    DATES: ClassVar[tuple] = ()
    SORTS: ClassVar[dict] = {}
    DEFAULT_SORT: ClassVar[str] = ""

    def __post_init__(self):
        if not self.sort:
            self.sort = self.DEFAULT_SORT

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name not in ("typed", "errors", "sort")) + ("sort",)

    @classmethod
    def from_args(cls, args):
        """From a query string, a marshmallow-loaded dict or a stored dict. A value that is
        not one of its choices, text with control characters, an id or amount that is not
        a number or out of range, an upper bound below the lower one are refused:
        recorded in `errors`, not applied. An unknown sort is the default order."""
        f = cls()
        for name in (*cls.TEXT, *cls.CHOICES):
            value = _text(args.get(name)).strip() or None
            if value is not None and len(value) > TEXT_LIMIT:
                f._refuse(name, value[:TEXT_LIMIT], _l("At most %(n)d characters.", n=TEXT_LIMIT))
            elif value is not None and CONTROL_CHARACTERS.search(value):
                f._refuse(name, value, NO_CONTROL_CHARACTERS)
            elif value is not None and name in cls.CHOICES and not cls.CHOICES[name](value):
                f._refuse(name, value, CHOOSE)
            else:
                setattr(f, name, value)
        for name in cls.IDS:
            raw = _text(args.get(name))
            try:
                setattr(f, name, parse_int(raw, minimum=1, maximum=MAX_ID))
            except BadNumber as exc:
                f._refuse(name, raw.strip()[:40], exc.message)
        for low, high in cls.AMOUNTS:
            for name in (low, high):
                raw = _text(args.get(name))
                try:
                    setattr(f, name, parse_amount(raw))
                except BadNumber as exc:
                    f._refuse(name, raw.strip()[:40], exc.message)
            message = amount_range_error(getattr(f, low), getattr(f, high))
            if message is not None:
                f._refuse_range(args, low, high, message)
        for low, high in cls.DATES:
            for name in (low, high):
                raw = _text(args.get(name)).strip()
                try:
                    setattr(f, name, date.fromisoformat(raw) if raw else None)
                except ValueError:
                    f._refuse(name, raw[:40], _l("Enter a date as YYYY-MM-DD."))
            if getattr(f, low) and getattr(f, high) and getattr(f, high) < getattr(f, low):
                f._refuse_range(args, low, high, _l("The end date cannot be before the start date."))
        sort = _text(args.get("sort"))
        f.sort = sort if sort in cls.SORTS else cls.DEFAULT_SORT
        return f

    def _refuse(self, name: str, typed: str, message) -> None:
        self.typed[name] = typed
        self.errors[name] = [message]

    def _refuse_range(self, args, low: str, high: str, message) -> None:
        for name in (low, high):
            self.typed[name] = _text(args.get(name)).strip()[:40]
            setattr(self, name, None)
        self.errors[high] = [message]

    def shown(self, name: str) -> str:
        """The value to put back into the filter form: what was typed, if it was refused."""
        if name in self.typed:
            return self.typed[name]
        value = getattr(self, name)
        return "" if value is None else _text(value)

    def as_dict(self) -> dict:
        """The filters applied, as strings (put in links, stored); from_args reads it back
        to the same filters. The default order is left out."""
        out = {}
        for name in self.field_names():
            value = getattr(self, name)
            if value not in (None, "") and not (name == "sort" and value == self.DEFAULT_SORT):
                out[name] = _text(value)
        return out

    @property
    def active(self) -> bool:
        """Is anything filtered (the order aside)?"""
        return any(k != "sort" for k in self.as_dict())

    def order_by(self) -> tuple:
        return self.SORTS[self.sort]


def count(query: sa.Select) -> int:
    """How many rows `query` returns, in one statement."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
