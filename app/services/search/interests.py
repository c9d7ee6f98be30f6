"""Searching interests: an institution's 我的融资意向, the owner's interests across its
needs, the administrators' view, and the API list: visible_interests(user) narrowed by
the filters, in one of the named orders."""

from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import FinancingNeed, Interest, InterestStatus, Project
from app.reference import Instrument, district
from app.services.interest_rules import visible_interests
from app.services.search.base import Filters, count

_NEWEST = (Interest.id.desc(),)
INTEREST_SORTS = {
    "updated": (Interest.updated_at.desc(), *_NEWEST),
    "newest": _NEWEST,
    "amount_desc": (Interest.amount.desc(), *_NEWEST),
}
SORT_LABELS = {
    "updated": _l("Last changed first"),
    "newest": _l("Newest first"),
    "amount_desc": _l("Amount, largest first"),
}
ROW_OPTIONS = (joinedload(Interest.need).joinedload(FinancingNeed.project).joinedload(Project.org),
               joinedload(Interest.org))


def _one_of(enum_cls):
    values = {m.value for m in enum_cls}
    return lambda v: v in values


@dataclass
class InterestFilters(Filters):
    q: str | None = None
    status: str | None = None
    district: str | None = None
    instrument: str | None = None
    need_id: int | None = None

    TEXT: ClassVar[tuple] = ("q",)
    CHOICES: ClassVar[dict] = {
        "status": _one_of(InterestStatus),
        "district": lambda v: district(v) is not None,
        "instrument": _one_of(Instrument),
    }
    IDS: ClassVar[tuple] = ("need_id",)
    SORTS: ClassVar[dict] = INTEREST_SORTS
    DEFAULT_SORT: ClassVar[str] = "updated"
    KEYWORD_COLUMNS: ClassVar[tuple] = (Project.name, Project.code)


def _filtered(user, f: InterestFilters) -> sa.Select:
    query = (visible_interests(user).join(Interest.need).join(FinancingNeed.project))
    if f.status:
        query = query.where(Interest.status == InterestStatus(f.status))
    if f.district:
        query = query.where(Project.district_code == f.district)
    if f.instrument:
        query = query.where(Interest.instrument == Instrument(f.instrument))
    if f.need_id is not None:
        query = query.where(Interest.need_id == f.need_id)
    if f.q:
        query = query.where(sa.or_(*(c.icontains(f.q, autoescape=True) for c in f.KEYWORD_COLUMNS)))
    return query


def search_interests(user, f: InterestFilters | None = None) -> sa.Select:
    """The interests `user` sees that match `f`, in its order, with what a list row shows."""
    f = f or InterestFilters()
    return _filtered(user, f).options(*ROW_OPTIONS).order_by(*f.order_by())


def count_interests(user, f: InterestFilters | None = None) -> int:
    return count(_filtered(user, f or InterestFilters()))


def interests_by_status(user, f: InterestFilters | None = None) -> dict[InterestStatus, int]:
    query = _filtered(user, f or InterestFilters()).with_only_columns(Interest.status, sa.func.count())
    return dict(db.session.execute(query.group_by(Interest.status)).all())
