"""Searching interests: an institution's 我的融资意向, the owner's interests across its
needs, the administrators' view, and the API list: visible_interests(user) narrowed by
the filters, in one of the named orders. The workspace's board reads the same search,
a capped number of cards per stage (board_cards)."""

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    CLOSED_INTEREST_STATUSES,
    LIVE_INTEREST_STATUSES,
    FinancingNeed,
    Interest,
    InterestStatus,
    Organization,
    Project,
    Role,
)
from app.reference import Instrument, district
from app.services.formatting import today
from app.services.interest_rules import visible_interests
from app.services.search.base import Filters, count

_NEWEST = (Interest.id.desc(),)
INTEREST_SORTS = {
    "updated": (Interest.updated_at.desc(), *_NEWEST),
    "newest": _NEWEST,
    "amount_desc": (Interest.amount.desc(), *_NEWEST),
    "stale": (Interest.updated_at.asc(), Interest.id.asc()),  # the deals left longest first
}
SORT_LABELS = {
    "updated": _l("Last changed first"),
    "newest": _l("Newest first"),
    "amount_desc": _l("Amount, largest first"),
    "stale": _l("Unchanged longest first"),
}
ROW_OPTIONS = (joinedload(Interest.need).joinedload(FinancingNeed.project).joinedload(Project.org),
               joinedload(Interest.org))

# 进行中 / 已结束: the pipeline's live stages and its three exits.
STATES = {"live": LIVE_INTEREST_STATUSES, "closed": CLOSED_INTEREST_STATUSES}
STATE_LABELS = {"live": _l("In progress"), "closed": _l("Ended")}
# A validity date "expiring" within this many days from today (live interests only).
EXPIRING_DAYS = 30
VALIDITY_LABELS = {"expiring": _l("Expiring within %(n)d days", n=EXPIRING_DAYS),
                   "expired": _l("Validity passed")}


def _one_of(enum_cls):
    values = {m.value for m in enum_cls}
    return lambda v: v in values


@dataclass
class InterestFilters(Filters):
    q: str | None = None
    status: str | None = None
    state: str | None = None
    district: str | None = None
    instrument: str | None = None
    validity: str | None = None
    action: str | None = None  # "1": those that wait for the reader's side
    need_id: int | None = None
    org_id: int | None = None  # the institution

    TEXT: ClassVar[tuple] = ("q",)
    CHOICES: ClassVar[dict] = {
        "status": _one_of(InterestStatus),
        "state": STATES.__contains__,
        "district": lambda v: district(v) is not None,
        "instrument": _one_of(Instrument),
        "validity": VALIDITY_LABELS.__contains__,
        "action": lambda v: v == "1",
    }
    IDS: ClassVar[tuple] = ("need_id", "org_id")
    SORTS: ClassVar[dict] = INTEREST_SORTS
    DEFAULT_SORT: ClassVar[str] = "updated"
    KEYWORD_COLUMNS: ClassVar[tuple] = (Project.name, Project.code)


def reader_side(user) -> str | None:
    """Whose side of the deals `user` reads them from: "institution" (its own), "owner"
    (those in its needs) or None (administrators, who act on none of them)."""
    role = getattr(user, "role", None)
    return {Role.institution: "institution", Role.owner: "owner"}.get(role)


READ_COLUMNS = {"institution": Interest.institution_read_at, "owner": Interest.owner_read_at}


def unread_condition(side: str):
    """The other side wrote since the reader's side last read the conversation. (Writing
    marks the conversation read for the writer's side, so the last message's time is enough.)"""
    read_at = READ_COLUMNS[side]
    return sa.and_(Interest.last_message_at.is_not(None),
                   sa.or_(read_at.is_(None), Interest.last_message_at > read_at))


def awaits_condition(side: str | None):
    """Interests that wait for the reader's side. An institution: new interests to contact,
    re-confirmations the owner asked for, and unread messages; an owner: unread messages."""
    if side is None:
        return sa.true()
    waiting = [unread_condition(side)]
    if side == "institution":
        waiting += [Interest.status == InterestStatus.submitted,
                    sa.and_(Interest.reconfirm_since.is_not(None),
                            Interest.status.in_(LIVE_INTEREST_STATUSES))]
    return sa.or_(*waiting)


def _filtered(user, f: InterestFilters) -> sa.Select:
    """visible_interests(user) narrowed by `f`. The need and its project are joined only for
    a filter on the project's columns: counts and sums over many interests read the
    interest table alone."""
    query = visible_interests(user)
    if f.district or f.q:
        query = query.join(Interest.need).join(FinancingNeed.project)
    if f.status:
        query = query.where(Interest.status == InterestStatus(f.status))
    if f.state:
        query = query.where(Interest.status.in_(STATES[f.state]))
    if f.district:
        query = query.where(Project.district_code == f.district)
    if f.instrument:
        query = query.where(Interest.instrument == Instrument(f.instrument))
    if f.validity:
        day = today()
        query = query.where(Interest.status.in_(LIVE_INTEREST_STATUSES))
        if f.validity == "expiring":
            query = query.where(Interest.valid_until.between(day, day + timedelta(days=EXPIRING_DAYS)))
        else:
            query = query.where(Interest.valid_until < day)
    if f.action:
        query = query.where(awaits_condition(reader_side(user)))
    if f.need_id is not None:
        query = query.where(Interest.need_id == f.need_id)
    if f.org_id is not None:
        query = query.where(Interest.org_id == f.org_id)
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


@dataclass(frozen=True)
class StageFigures:
    count: int
    amount: object  # Decimal, 万元: the indicative amounts
    credit: object  # approved credit
    disbursed: object


def figures_by_status(user, f: InterestFilters | None = None) -> dict[InterestStatus, StageFigures]:
    """Per status, over every interest the filters match: how many, and the sums of their
    indicative amounts, credit and disbursements. One statement."""
    query = _filtered(user, f or InterestFilters()).with_only_columns(
        Interest.status, sa.func.count(), sa.func.sum(Interest.amount),
        sa.func.sum(Interest.credit_amount), sa.func.sum(Interest.disbursed_amount))
    return {row[0]: StageFigures(*row[1:]) for row in db.session.execute(query.group_by(Interest.status))}


def board_cards(user, f: InterestFilters | None, per_status: int) -> list[Interest]:
    """At most `per_status` interests of each status, the first in the filters' order,
    with what a card shows: one statement however many interests there are (one limited
    branch per status, each read along its index, united)."""
    f = f or InterestFilters()
    statuses = [InterestStatus(f.status)] if f.status else list(InterestStatus)
    branches = [_filtered(user, f).with_only_columns(Interest.id).where(Interest.status == status)
                .order_by(*f.order_by()).limit(per_status).subquery() for status in statuses]
    first = sa.union_all(*(sa.select(branch.c.id) for branch in branches))
    query = sa.select(Interest).where(Interest.id.in_(first)).options(*ROW_OPTIONS).order_by(*f.order_by())
    return list(db.session.scalars(query).unique())


def need_choices(user) -> list[tuple[int, str, object]]:
    """The needs the user's visible interests are in: (id, project name, amount sought)."""
    query = (visible_interests(user).join(Interest.need).join(FinancingNeed.project)
             .with_only_columns(FinancingNeed.id, Project.name, FinancingNeed.amount).distinct()
             .order_by(Project.name, FinancingNeed.id))
    return [tuple(row) for row in db.session.execute(query)]


def institution_choices(user) -> list[tuple[int, str]]:
    """The institutions of the user's visible interests: (id, name)."""
    theirs = visible_interests(user).with_only_columns(Interest.id).where(Interest.org_id == Organization.id)
    query = sa.select(Organization.id, Organization.name).where(theirs.exists()).order_by(Organization.name)
    return [tuple(row) for row in db.session.execute(query)]

FILTER_LABELS = {
    "q": _l("Project name or code"), "status": _l("Status"), "state": _l("Deal stage"),
    "district": _l("District"), "instrument": _l("Instrument"), "validity": _l("Validity"),
    "action": _l("Waiting for us"), "need_id": _l("Financing need"), "org_id": _l("Institution"),
}


def _visible_name(user, column, where) -> str | None:
    """A name read through the user's visible interests (an id typed into the address
    names nothing the user may not see)."""
    query = (visible_interests(user).join(Interest.need).join(FinancingNeed.project).join(Interest.org)
             .with_only_columns(column).where(where).limit(1))
    return db.session.scalar(query)


def describe(f: InterestFilters, user=None) -> str:
    """The filters applied, in words of the reader's language (状态：已对接；所属区（市）县：锦江区),
    for an export's title line and its audit entry; "" when nothing is filtered."""
    from flask_babel import gettext

    from app.reference import label

    words = {
        "status": lambda v: label(InterestStatus(v)),
        "state": lambda v: str(STATE_LABELS[v]),
        "district": lambda v: district(v).label,
        "instrument": lambda v: label(Instrument(v)),
        "validity": lambda v: str(VALIDITY_LABELS[v]),
        "action": lambda v: gettext("Yes"),
        "need_id": lambda v: _visible_name(user, Project.name, FinancingNeed.id == int(v)) or f"#{v}",
        "org_id": lambda v: _visible_name(user, Organization.name, Organization.id == int(v)) or f"#{v}",
    }
    pairs = [gettext("%(label)s: %(value)s", label=FILTER_LABELS[name], value=words.get(name, str)(value))
             for name, value in f.as_dict().items() if name != "sort"]
    return gettext("; ").join(pairs)
