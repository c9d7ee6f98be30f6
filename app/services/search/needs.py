"""Searching financing needs: the need lists (site and API), the review queue, the counts.

search_needs(user, f) is visible_needs(user) narrowed by the filters, in one of the named
orders of NEED_SORTS; review_needs(user, f) is the administrators' review queue on the
same filters plus the submission dates, oldest submission first.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import FinancingNeed, NeedInstrument, NeedStatus, Organization, Project
from app.reference import Instrument, Level, district
from app.services.formatting import TZ
from app.services.permissions import require_admin, visible_needs
from app.services.search.base import Filters, count

_NEWEST = (FinancingNeed.id.desc(),)
NEED_SORTS = {
    "updated": (FinancingNeed.updated_at.desc(), *_NEWEST),
    "newest": _NEWEST,
    "amount_desc": (FinancingNeed.amount.desc(), *_NEWEST),
    "amount_asc": (FinancingNeed.amount.asc(), *_NEWEST),
    "submitted": (FinancingNeed.submitted_at.asc().nulls_last(), FinancingNeed.id.asc()),
}
SORT_LABELS = {
    "updated": _l("Last changed first"),
    "newest": _l("Newest first"),
    "amount_desc": _l("Amount, largest first"),
    "amount_asc": _l("Amount, smallest first"),
    "submitted": _l("Oldest submissions first"),
}

# What a list row shows besides the need: its project, the owner, the instruments. A
# fixed number of statements per page, whatever its length.
ROW_OPTIONS = (joinedload(FinancingNeed.project).joinedload(Project.org),
               selectinload(FinancingNeed.instrument_rows))


def _one_of(enum_cls, *, but=()):
    values = {m.value for m in enum_cls if m not in but}
    return lambda v: v in values


@dataclass
class NeedFilters(Filters):
    q: str | None = None
    status: str | None = None
    instrument: str | None = None
    district: str | None = None
    level: str | None = None
    project_id: int | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None

    TEXT: ClassVar[tuple] = ("q",)
    CHOICES: ClassVar[dict] = {
        "status": _one_of(NeedStatus),
        "instrument": _one_of(Instrument),
        "district": lambda v: district(v) is not None,
        "level": _one_of(Level),
    }
    IDS: ClassVar[tuple] = ("project_id",)
    AMOUNTS: ClassVar[tuple] = (("min_amount", "max_amount"),)
    SORTS: ClassVar[dict] = {k: NEED_SORTS[k] for k in ("updated", "newest", "amount_desc", "amount_asc")}
    DEFAULT_SORT: ClassVar[str] = "updated"
    # The keyword looks in these columns (part of the text, % and _ taken literally).
    KEYWORD_COLUMNS: ClassVar[tuple] = (Project.name, Project.code)


@dataclass
class ReviewFilters(NeedFilters):
    """The review queue's filters: without a status, what waits for review (submitted);
    an empty status, every status a need reaches once submitted (drafts never). The
    keyword also finds the owner organisation."""

    status: str | None = NeedStatus.submitted.value
    submitted_from: date | None = None
    submitted_to: date | None = None

    CHOICES: ClassVar[dict] = {**NeedFilters.CHOICES, "status": _one_of(NeedStatus, but={NeedStatus.draft})}
    DATES: ClassVar[tuple] = (("submitted_from", "submitted_to"),)
    SORTS: ClassVar[dict] = {k: NEED_SORTS[k] for k in ("submitted", "updated", "newest", "amount_desc",
                                                        "amount_asc")}
    DEFAULT_SORT: ClassVar[str] = "submitted"
    KEYWORD_COLUMNS: ClassVar[tuple] = (Project.name, Project.code, Organization.name,
                                        Organization.short_name)

    @classmethod
    def from_args(cls, args) -> "ReviewFilters":
        f = super().from_args(args)
        if "status" not in args and "status" not in f.errors:
            f.status = NeedStatus.submitted.value
        return f

    def as_dict(self) -> dict:
        out = super().as_dict()
        if self.status is None:
            out = {"status": "", **out}  # every status, said explicitly
        return out

    @property
    def active(self) -> bool:
        return any(k != "sort" for k in super().as_dict() if not (k == "status" and self.status == "submitted"))


def _local_midnight(day: date) -> datetime:
    """The start of `day` in the city's time zone (dates are entered in local time)."""
    return datetime.combine(day, time.min, tzinfo=TZ)


def _conditions(f: NeedFilters) -> list:
    conditions = []
    if f.status:
        conditions.append(FinancingNeed.status == NeedStatus(f.status))
    if f.instrument:
        conditions.append(FinancingNeed.instrument_rows.any(NeedInstrument.instrument == Instrument(f.instrument)))
    if f.district:
        conditions.append(Project.district_code == f.district)
    if f.level:
        conditions.append(Project.level == Level(f.level))
    if f.project_id is not None:
        conditions.append(FinancingNeed.project_id == f.project_id)
    if f.min_amount is not None:
        conditions.append(FinancingNeed.amount >= f.min_amount)
    if f.max_amount is not None:
        conditions.append(FinancingNeed.amount <= f.max_amount)
    if f.q:
        conditions.append(sa.or_(*(c.icontains(f.q, autoescape=True) for c in f.KEYWORD_COLUMNS)))
    return conditions


# Filters that read the project's columns (the keyword: its name and code).
_PROJECT_FILTERS = ("district", "level", "q")


def _tables(clause) -> set:
    if isinstance(clause, sa.Join):
        return _tables(clause.left) | _tables(clause.right)
    return {clause}


def _joins(query: sa.Select, table) -> bool:
    return any(table in _tables(f) for f in query.get_final_froms())


def with_projects(query: sa.Select) -> sa.Select:
    """A need query joined to the needs' projects exactly once (an owner's scope already is)."""
    return query if _joins(query, Project.__table__) else query.join(FinancingNeed.project)


def _filtered(user, f: NeedFilters, *, with_owner: bool = False) -> sa.Select:
    """The scope narrowed by `f`, joined to the project (and with `with_owner` its
    organisation) only when a filter reads them: a count of one status then reads one index."""
    query = visible_needs(user)
    if with_owner or any(getattr(f, name) for name in _PROJECT_FILTERS):
        query = with_projects(query)
    if with_owner:
        query = query.join(Project.org)
    return query.where(*_conditions(f))


def search_needs(user, f: NeedFilters | None = None) -> sa.Select:
    """The needs `user` sees that match `f`, in its order, with what a list row shows."""
    f = f or NeedFilters()
    return _filtered(user, f).options(*ROW_OPTIONS).order_by(*f.order_by())


def review_needs(user, f: ReviewFilters | None = None) -> sa.Select:
    """The review queue (administrators only: NotAllowed otherwise): needs submitted at
    least once, never drafts, matching `f`, oldest submission first."""
    require_admin(user)
    f = f or ReviewFilters()
    query = _filtered(user, f, with_owner=bool(f.q)).where(FinancingNeed.status != NeedStatus.draft)
    if f.submitted_from:
        query = query.where(FinancingNeed.submitted_at >= _local_midnight(f.submitted_from))
    if f.submitted_to:
        query = query.where(FinancingNeed.submitted_at < _local_midnight(f.submitted_to + timedelta(days=1)))
    return query.options(*ROW_OPTIONS).order_by(*f.order_by())


def count_needs(user, f: NeedFilters | None = None) -> int:
    """How many needs the list would show `user` with these filters."""
    return count(_filtered(user, f or NeedFilters()))


def needs_by_status(user, f: NeedFilters | None = None) -> dict[NeedStatus, int]:
    """{status: how many} of the needs the list would show `user` (one statement, counted
    on the scope's own join and terms: no subquery of every column)."""
    query = _filtered(user, f or NeedFilters()).with_only_columns(FinancingNeed.status, sa.func.count())
    return dict(db.session.execute(query.group_by(FinancingNeed.status)).all())


def need_counts(user, project_ids) -> dict[int, int]:
    """{project id: how many of its needs `user` sees}, for a page of projects (one
    statement)."""
    sub = visible_needs(user).where(FinancingNeed.project_id.in_(list(project_ids) or [0])).subquery()
    return dict(db.session.execute(
        sa.select(sub.c.project_id, sa.func.count()).group_by(sub.c.project_id)).all())
