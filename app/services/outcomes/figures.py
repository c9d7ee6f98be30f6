"""The figures cities report on financing matchmaking (融资对接成效), from data.

A need counts as listed once it appears in a published edition (a later correction or a
following edition keeps it listed); its outcomes are those of every institution's interest in
it, whatever edition the interest was expressed from:
- 对接项目数: listed needs that at least one institution has contacted (contacted_at set);
  接单率 = 对接项目数 / listed needs, as provincial platforms report it (Jiangsu > 95 %);
- 授信项目数 / 授信金额: needs with at least one interest holding credit now (approved or
  funded) and the sum of those credits; 授信率 = 授信项目数 / listed needs;
- 放款项目数 / 放款金额: needs with money drawn, and the sum of all tranches;
- time to first interest / first contact: days from the first listing to the first interest
  expressed / the first contact, over the needs that have one.

Everything is aggregated in SQL, a handful of statements per figure set whatever the numbers.
"""

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    CREDITED_INTEREST_STATUSES,
    PUBLIC_EDITION_STATUSES,
    Edition,
    EditionItem,
    FinancingNeed,
    Follow,
    Interest,
    Organization,
    Project,
)
from app.models.base import ZERO


def listed_needs(edition_id: int | None = None) -> sa.Subquery:
    """need_id, listed_at (its first publication) of every need a published edition has held;
    with `edition_id`, of that edition's needs only (listed_at still their first listing)."""
    first = (sa.select(EditionItem.need_id, sa.func.min(Edition.published_at).label("listed_at"))
             .join(Edition, Edition.id == EditionItem.edition_id)
             .where(Edition.status.in_(PUBLIC_EDITION_STATUSES))
             .group_by(EditionItem.need_id))
    if edition_id is not None:
        first = first.where(EditionItem.need_id.in_(
            sa.select(EditionItem.need_id).where(EditionItem.edition_id == edition_id)))
    return first.subquery("listed")


def _per_need() -> sa.Subquery:
    """One row per need that has interests: its institutions' furthest steps and sums."""
    credited = Interest.status.in_(CREDITED_INTEREST_STATUSES)
    return (sa.select(
        Interest.need_id,
        sa.func.count(Interest.id).label("interests"),
        sa.func.min(Interest.created_at).label("first_interest_at"),
        sa.func.min(Interest.contacted_at).label("first_contact_at"),
        sa.func.max(sa.case((Interest.due_diligence_at.is_not(None), 1), else_=0)).label("dd"),
        sa.func.max(sa.case((credited, 1), else_=0)).label("credited"),
        sa.func.coalesce(sa.func.sum(sa.case((credited, Interest.credit_amount), else_=ZERO)), ZERO)
        .label("credit_amount"),
        sa.func.coalesce(sa.func.sum(Interest.disbursed_amount), ZERO).label("disbursed"),
    ).group_by(Interest.need_id).subquery("per_need"))


def _followers() -> sa.Subquery:
    return (sa.select(Follow.need_id, sa.func.count(Follow.id).label("follows"))
            .group_by(Follow.need_id).subquery("followers"))


@dataclass
class Figures:
    """The funnel of a set of listed needs (counts of needs; amounts in 万元)."""

    listed: int = 0
    listed_amount: Decimal = ZERO
    followed: int = 0
    follows: int = 0
    interested: int = 0
    interests: int = 0
    contacted: int = 0
    due_diligence: int = 0
    credited: int = 0
    credit_amount: Decimal = ZERO
    funded: int = 0
    disbursed_amount: Decimal = ZERO
    days_to_first_interest: list[float] = field(default_factory=list, repr=False)
    days_to_first_contact: list[float] = field(default_factory=list, repr=False)

    @property
    def contact_rate(self) -> Decimal | None:  # 接单率
        return _rate(self.contacted, self.listed)

    @property
    def credit_rate(self) -> Decimal | None:  # 授信率
        return _rate(self.credited, self.listed)

    @property
    def median_days_to_first_interest(self) -> float | None:
        return _median(self.days_to_first_interest)

    @property
    def median_days_to_first_contact(self) -> float | None:
        return _median(self.days_to_first_contact)


def _rate(part: int, whole: int) -> Decimal | None:
    """A share in per cent with two decimals (77.45), None when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


def _median(days: list[float]) -> float | None:
    return round(statistics.median(days), 1) if days else None


def _days(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max((_aware(later) - _aware(earlier)).total_seconds() / 86400, 0.0)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _need_rows(edition_id: int | None, group_by=None):
    """The per-need rows of the listed needs, with `group_by` (a column of Project or
    FinancingNeed) as their first value."""
    listed = listed_needs(edition_id)
    per_need, followers = _per_need(), _followers()
    key = [group_by.label("key")] if group_by is not None else []
    query = (sa.select(*key, listed.c.need_id, listed.c.listed_at, FinancingNeed.amount,
                       sa.func.coalesce(followers.c.follows, 0).label("follows"),
                       sa.func.coalesce(per_need.c.interests, 0).label("interests"),
                       per_need.c.first_interest_at, per_need.c.first_contact_at,
                       sa.func.coalesce(per_need.c.dd, 0).label("dd"),
                       sa.func.coalesce(per_need.c.credited, 0).label("credited"),
                       sa.func.coalesce(per_need.c.credit_amount, ZERO).label("credit_amount"),
                       sa.func.coalesce(per_need.c.disbursed, ZERO).label("disbursed"))
             .select_from(listed)
             .join(FinancingNeed, FinancingNeed.id == listed.c.need_id)
             .join(Project, Project.id == FinancingNeed.project_id)
             .outerjoin(per_need, per_need.c.need_id == listed.c.need_id)
             .outerjoin(followers, followers.c.need_id == listed.c.need_id))
    return db.session.execute(query).all()


def _add(figures: Figures, row) -> None:
    figures.listed += 1
    figures.listed_amount += row.amount or ZERO
    figures.follows += row.follows
    figures.followed += 1 if row.follows else 0
    figures.interests += row.interests
    figures.interested += 1 if row.interests else 0
    figures.contacted += 1 if row.first_contact_at else 0
    figures.due_diligence += 1 if row.dd else 0
    figures.credited += 1 if row.credited else 0
    figures.credit_amount += Decimal(row.credit_amount or 0)
    disbursed = Decimal(row.disbursed or 0)
    figures.funded += 1 if disbursed > 0 else 0
    figures.disbursed_amount += disbursed
    for days, moment in ((figures.days_to_first_interest, row.first_interest_at),
                         (figures.days_to_first_contact, row.first_contact_at)):
        value = _days(moment, row.listed_at)
        if value is not None:
            days.append(value)


def totals(edition_id: int | None = None) -> Figures:
    """The funnel of every listed need (or of one edition's needs)."""
    figures = Figures()
    for row in _need_rows(edition_id):
        _add(figures, row)
    return _quantized(figures)


def _quantized(figures: Figures) -> Figures:
    cents = Decimal("0.01")
    figures.listed_amount = Decimal(figures.listed_amount).quantize(cents)
    figures.credit_amount = Decimal(figures.credit_amount).quantize(cents)
    figures.disbursed_amount = Decimal(figures.disbursed_amount).quantize(cents)
    return figures


# Breakdowns by a property of the need (its project's district, industry, level, category).
NEED_DIMENSIONS = {
    "district": Project.district_code,
    "industry": Project.industry_code,
    "level": Project.level,
    "category": Project.category,
}


def by_need_dimension(dimension: str, edition_id: int | None = None) -> dict:
    """{key: Figures} of the listed needs grouped by `dimension` (a key of NEED_DIMENSIONS)."""
    groups: dict = {}
    for row in _need_rows(edition_id, NEED_DIMENSIONS[dimension]):
        _add(groups.setdefault(row.key, Figures()), row)
    return {key: _quantized(f) for key, f in groups.items()}


@dataclass
class SideFigures:
    """What one group of interests did (by institution, institution type or instrument)."""

    needs: int = 0
    interests: int = 0
    contacted: int = 0
    credited: int = 0
    credit_amount: Decimal = ZERO
    funded: int = 0
    disbursed_amount: Decimal = ZERO


# Breakdowns by a property of the interest.
INTEREST_DIMENSIONS = {
    "institution": Interest.org_id,
    "institution_kind": Organization.kind,
    "instrument": Interest.instrument,
}


def by_interest_dimension(dimension: str, edition_id: int | None = None) -> dict:
    """{key: SideFigures} of the interests in listed needs grouped by `dimension`."""
    key = INTEREST_DIMENSIONS[dimension]
    listed = listed_needs(edition_id)
    credited = Interest.status.in_(CREDITED_INTEREST_STATUSES)
    rows = db.session.execute(
        sa.select(key.label("key"),
                  sa.func.count(sa.distinct(Interest.need_id)).label("needs"),
                  sa.func.count(Interest.id).label("interests"),
                  sa.func.count(Interest.contacted_at).label("contacted"),
                  sa.func.sum(sa.case((credited, 1), else_=0)).label("credited"),
                  sa.func.coalesce(sa.func.sum(sa.case((credited, Interest.credit_amount), else_=ZERO)),
                                   ZERO).label("credit_amount"),
                  sa.func.sum(sa.case((Interest.disbursed_amount > 0, 1), else_=0)).label("funded"),
                  sa.func.coalesce(sa.func.sum(Interest.disbursed_amount), ZERO).label("disbursed"))
        .join(listed, listed.c.need_id == Interest.need_id)
        .join(Organization, Organization.id == Interest.org_id)
        .group_by(key)).all()
    cents = Decimal("0.01")
    return {row.key: SideFigures(
        needs=row.needs, interests=row.interests, contacted=row.contacted, credited=int(row.credited or 0),
        credit_amount=Decimal(row.credit_amount or 0).quantize(cents), funded=int(row.funded or 0),
        disbursed_amount=Decimal(row.disbursed or 0).quantize(cents)) for row in rows}


def by_edition() -> list[tuple[Edition, Figures]]:
    """Each period's latest public revision, newest first, with the funnel of its needs to
    date (three statements whatever the number of editions)."""
    editions = db.session.scalars(
        sa.select(Edition).where(Edition.status.in_(PUBLIC_EDITION_STATUSES))
        .order_by(Edition.year.desc(), Edition.period.desc(), Edition.revision.desc())).all()
    latest: dict[tuple[int, int], Edition] = {}
    for edition in editions:
        latest.setdefault((edition.year, edition.period), edition)
    ids = [e.id for e in latest.values()]
    members: dict[int, list[int]] = {}
    for edition_id, need_id in db.session.execute(
            sa.select(EditionItem.edition_id, EditionItem.need_id)
            .where(EditionItem.edition_id.in_(ids))).all() if ids else ():
        members.setdefault(edition_id, []).append(need_id)
    rows = {row.need_id: row for row in _need_rows(None)} if ids else {}
    result = []
    for edition in latest.values():
        figures = Figures()
        for need_id in members.get(edition.id, ()):
            _add(figures, rows[need_id])
        result.append((edition, _quantized(figures)))
    return result
