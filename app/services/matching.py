"""Match scores (匹配度) of financing needs against an institution's preference profile.

Pure and deterministic: `score(need_or_item, profile)` reads the values it is given and
nothing else (no query, no clock), so the same need and profile always give the same
score and reasons, and the ranking breaks ties on a fixed key.

The formula (README "Match scores"): six weighted criteria adding up to 100.

    industry 25 · amount 20 · instrument 20 · district 15 · term 10 · level 10

Each criterion scores its full weight when the profile leaves it open ("any") or the
need fits; half its weight when the need is near (a division of the same GB/T 4754
section; an instrument of the same family; an amount or term outside the range by at
most half of the bound); nothing otherwise. The score is the sum, rounded half up to a
whole number. Each criterion the profile constrains adds one reason, positive or
negative; a provincial or municipal key project says so when the level fits.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from app.reference import Instrument, Level, industries, industry, label, register_labels

WEIGHTS = {"industry": 25, "amount": 20, "instrument": 20, "district": 15, "term": 10, "level": 10}
assert sum(WEIGHTS.values()) == 100

FULL, HALF, NONE = 2, 1, 0  # credit of a criterion, in halves of its weight
_NEVER = float("-inf")  # the listing time of a need never listed, in the ranking

# Instruments a lender offering one of a family can usually also offer another of.
INSTRUMENT_FAMILIES = (
    frozenset({Instrument.project_loan, Instrument.working_capital_loan, Instrument.syndicated_loan}),
    frozenset({Instrument.bond, Instrument.abs_reits}),
    frozenset({Instrument.equity, Instrument.industry_fund}),
    frozenset({Instrument.financial_leasing}),
    frozenset({Instrument.insurance_debt_plan}),
)
_FAMILY = {i.value: n for n, family in enumerate(INSTRUMENT_FAMILIES) for i in family}


class Reason(enum.Enum):
    industry_match = "industry_match"
    industry_near = "industry_near"
    industry_outside = "industry_outside"
    amount_within = "amount_within"
    amount_slightly_below = "amount_slightly_below"
    amount_below = "amount_below"
    amount_slightly_above = "amount_slightly_above"
    amount_above = "amount_above"
    instrument_match = "instrument_match"
    instrument_near = "instrument_near"
    instrument_outside = "instrument_outside"
    district_match = "district_match"
    district_outside = "district_outside"
    term_within = "term_within"
    term_near = "term_near"
    term_outside = "term_outside"
    level_provincial = "level_provincial"
    level_municipal = "level_municipal"
    level_match = "level_match"
    level_outside = "level_outside"

    @property
    def positive(self) -> bool:
        return self in POSITIVE

    @property
    def label(self) -> str:
        return label(self)  # translated once per request and language

    def __str__(self) -> str:
        return self.label


POSITIVE = frozenset({Reason.industry_match, Reason.amount_within, Reason.instrument_match,
                      Reason.district_match, Reason.term_within, Reason.level_provincial,
                      Reason.level_municipal, Reason.level_match})

REASON_LABELS = register_labels(Reason, {
    Reason.industry_match: _l("Industry matches"),
    Reason.industry_near: _l("Related industry"),
    Reason.industry_outside: _l("Industry not in preferences"),
    Reason.amount_within: _l("Amount within preferred range"),
    Reason.amount_slightly_below: _l("Amount slightly below preferred minimum"),
    Reason.amount_below: _l("Amount below preferred minimum"),
    Reason.amount_slightly_above: _l("Amount slightly above preferred maximum"),
    Reason.amount_above: _l("Amount above preferred maximum"),
    Reason.instrument_match: _l("Financing instrument matches"),
    Reason.instrument_near: _l("Related financing instrument"),
    Reason.instrument_outside: _l("Financing instrument not in preferences"),
    Reason.district_match: _l("District matches"),
    Reason.district_outside: _l("District not in preferences"),
    Reason.term_within: _l("Term within preferred range"),
    Reason.term_near: _l("Term slightly outside preferences"),
    Reason.term_outside: _l("Term outside preferences"),
    Reason.level_provincial: _l("Provincial key project"),
    Reason.level_municipal: _l("Municipal key project"),
    Reason.level_match: _l("Project level matches"),
    Reason.level_outside: _l("Project level not in preferences"),
})


@dataclass(frozen=True, slots=True)
class Facts:
    """What the score reads of a need: its own terms and its project's place in the city."""

    need_id: int
    amount: Decimal
    term_months: int
    instruments: frozenset  # Instrument values
    industry_code: str
    district_code: str
    zone_code: str | None
    level: str  # Level value
    listed_at: datetime | None = None  # the tie-break: newest first


@dataclass(frozen=True)
class Wants:
    """A preference profile read once for scoring many needs; empty sets and None mean any."""

    industries: frozenset = frozenset()
    sections: frozenset = frozenset()  # sections named whole, and those of the named divisions
    districts: frozenset = frozenset()
    instruments: frozenset = frozenset()
    families: frozenset = frozenset()
    levels: frozenset = frozenset()
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    term_min: int | None = None
    term_max: int | None = None

    @property
    def is_open(self) -> bool:
        """Says nothing: every need would score 100."""
        return not (self.industries or self.districts or self.instruments or self.levels) and all(
            v is None for v in (self.amount_min, self.amount_max, self.term_min, self.term_max))


@dataclass(frozen=True)
class Match:
    need_id: int
    score: int
    reasons: tuple[Reason, ...]
    listed_at: datetime | None = None

    @property
    def sort_key(self) -> tuple:
        """Best score first; among equals, the newest listed first (never listed: last), then
        the lowest id."""
        return (-self.score, *tie_key(self.need_id, self.listed_at))


def tie_key(need_id: int, listed_at: datetime | None) -> tuple:
    """The order among needs of equal score: newest listed first (never listed: last), then
    the lowest id."""
    return (-(listed_at.timestamp() if listed_at is not None else _NEVER), need_id)


def wants(profile) -> Wants:
    """A PreferenceProfile (or anything with its attributes; None: any need) as Wants."""
    if profile is None:
        return Wants()
    if isinstance(profile, Wants):
        return profile
    codes = frozenset(profile.industries or ())
    sections = set()
    for code in codes:
        trade = industry(code)
        if trade is not None:
            sections.add(trade.section)
    instruments = frozenset(profile.instruments or ())
    return Wants(
        industries=codes, sections=frozenset(sections),
        districts=frozenset(profile.districts or ()), instruments=instruments,
        families=frozenset(_FAMILY[i] for i in instruments if i in _FAMILY),
        levels=frozenset(profile.levels or ()),
        amount_min=profile.amount_min, amount_max=profile.amount_max,
        term_min=profile.term_min, term_max=profile.term_max,
    )


def facts(obj) -> Facts:
    """The Facts of a FinancingNeed (its project loaded) or of an edition item (its snapshot)."""
    if isinstance(obj, Facts):
        return obj
    snapshot = getattr(obj, "snapshot", None)
    if snapshot is not None:  # an edition item, frozen at publication
        return Facts(need_id=snapshot["need_id"], amount=Decimal(snapshot["amount"]),
                     term_months=snapshot["term_months"], instruments=frozenset(snapshot["instruments"]),
                     industry_code=snapshot["industry_code"], district_code=snapshot["district_code"],
                     zone_code=snapshot.get("zone_code"), level=snapshot["level"])
    project = obj.project
    return Facts(need_id=obj.id, amount=obj.amount, term_months=obj.term_months,
                 instruments=frozenset(i.value for i in obj.instruments),
                 industry_code=project.industry_code, district_code=project.district_code,
                 zone_code=project.zone_code, level=project.level.value, listed_at=obj.approved_at)


def _in_range(value, low, high, reasons) -> tuple[int, Reason | None]:
    """The credit (in halves of the weight) and reason of a value against [low, high], one
    test for amounts and terms alike: open (no bound) is full credit without a reason;
    near is within half a bound; reasons are (slightly below, below, within, slightly
    above, above)."""
    if low is None and high is None:
        return FULL, None
    below_near, below, within, above_near, above = reasons
    if low is not None and value < low:
        return (HALF, below_near) if value * 2 >= low else (NONE, below)
    if high is not None and value > high:
        return (HALF, above_near) if value * 2 <= high * 3 else (NONE, above)
    return FULL, within


_AMOUNT_REASONS = (Reason.amount_slightly_below, Reason.amount_below, Reason.amount_within,
                   Reason.amount_slightly_above, Reason.amount_above)
_TERM_REASONS = (Reason.term_near, Reason.term_outside, Reason.term_within, Reason.term_near,
                 Reason.term_outside)
_LEVEL_REASONS = {Level.provincial.value: Reason.level_provincial, Level.municipal.value: Reason.level_municipal}
_SECTION = {i.code: i.section for i in industries()}


# One function per criterion, each returning (credit in halves of its weight, reason or None):
# score() adds them up for one need; services/ranking.py calls each once per distinct value
# of what it reads, for a whole list.
def industry_credit(w: Wants, code: str) -> tuple[int, Reason | None]:
    if not w.industries:
        return FULL, None
    section = _SECTION.get(code)
    if code in w.industries or section in w.industries:
        return FULL, Reason.industry_match
    if section in w.sections:
        return HALF, Reason.industry_near
    return NONE, Reason.industry_outside


def amount_credit(w: Wants, amount: Decimal) -> tuple[int, Reason | None]:
    return _in_range(amount, w.amount_min, w.amount_max, _AMOUNT_REASONS)


def instrument_credit(w: Wants, instruments: frozenset) -> tuple[int, Reason | None]:
    if not w.instruments:
        return FULL, None
    if instruments & w.instruments:
        return FULL, Reason.instrument_match
    if any(_FAMILY.get(i) in w.families for i in instruments):
        return HALF, Reason.instrument_near
    return NONE, Reason.instrument_outside


def district_credit(w: Wants, place: tuple[str, str | None]) -> tuple[int, Reason | None]:
    """place: the project's (district code, zone code or None)."""
    if not w.districts:
        return FULL, None
    district_code, zone_code = place
    if district_code in w.districts or (zone_code and zone_code in w.districts):
        return FULL, Reason.district_match
    return NONE, Reason.district_outside


def term_credit(w: Wants, months: int) -> tuple[int, Reason | None]:
    return _in_range(months, w.term_min, w.term_max, _TERM_REASONS)


def level_credit(w: Wants, level: str) -> tuple[int, Reason | None]:
    if w.levels and level not in w.levels:
        return NONE, Reason.level_outside
    return FULL, _LEVEL_REASONS.get(level) or (Reason.level_match if w.levels else None)


class Criterion(NamedTuple):
    name: str
    weight: int
    credit: Callable  # (Wants, input) -> (credit in halves, reason or None)
    read: Callable  # Facts -> input


# The criteria in the order of their reasons.
CRITERIA = (
    Criterion("industry", WEIGHTS["industry"], industry_credit, lambda f: f.industry_code),
    Criterion("amount", WEIGHTS["amount"], amount_credit, lambda f: f.amount),
    Criterion("instrument", WEIGHTS["instrument"], instrument_credit, lambda f: f.instruments),
    Criterion("district", WEIGHTS["district"], district_credit, lambda f: (f.district_code, f.zone_code)),
    Criterion("term", WEIGHTS["term"], term_credit, lambda f: f.term_months),
    Criterion("level", WEIGHTS["level"], level_credit, lambda f: f.level),
)


def total(halves: int) -> int:
    """The score of a sum of weighted halves (out of 200): rounded half up."""
    return (halves + 1) // 2


def score(need_or_item, profile) -> Match:
    """The need's match score (0–100) against the profile, with its reasons in the order of
    the criteria."""
    f, w = facts(need_or_item), wants(profile)
    halves = 0  # out of 200
    reasons: list[Reason] = []
    for _name, weight, credit_of, read in CRITERIA:
        credit, reason = credit_of(w, read(f))
        halves += weight * credit
        if reason is not None:
            reasons.append(reason)
    return Match(need_id=f.need_id, score=total(halves), reasons=tuple(reasons), listed_at=f.listed_at)


def rank(matches) -> list[Match]:
    """Best first, ties broken by Match.sort_key: the same order every time."""
    return sorted(matches, key=lambda m: m.sort_key)
