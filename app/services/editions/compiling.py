"""Compiling a draft edition: proposals, adding, removing, ordering, justifying, readiness."""


from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import (
    Edition,
    EditionItem,
    EditionStatus,
    FinancingNeed,
    ItemMarker,
    NeedStatus,
    Project,
    User,
)
from app.models.base import utcnow
from app.models.edition import PERIODS
from app.reference import Category
from app.services import approval, audit, readiness
from app.services.editions.common import LEVEL_ORDER, SORTS
from app.services.editions.reading import latest_published
from app.services.editions.snapshot import build_snapshot, denormalise, item_data
from app.services.errors import InvalidTransition, NotFound, ValidationFailed, flush_unique
from app.services.permissions import require


# ---- compiling a draft --------------------------------------------------------------------------
def _sort_key(order: str):
    def key(item: EditionItem):
        d = item_data(item)
        amount = -Decimal(d["amount"])
        return {
            "level": (LEVEL_ORDER.get(d["level"], 9), d["district_code"], amount),
            "district": (d["district_code"], amount),
            "amount": (amount,),
            "category": ([c.value for c in Category].index(d["category"]), amount),
            "industry": (d["industry_code"], amount),
        }[order] + (item.need_id,)
    return key


def _renumber(edition: Edition) -> None:
    for seq, item in enumerate(sorted(edition.items, key=_sort_key(edition.sort_order)), start=1):
        item.seq = seq


def _new_item(edition: Edition, need: FinancingNeed, marker: ItemMarker, seq: int) -> EditionItem:
    item = EditionItem(need=need, seq=seq, marker=marker, justifications={})
    edition.items.append(item)
    denormalise(item, build_snapshot(need, seq=seq, marker=marker))
    return item


# Two administrators compiling the same period (or correcting the same revision) at once:
# the second INSERT meets the unique key (year, period, revision).
EDITION_KEY = ("uq_edition_year_period_revision", "edition.year, edition.period, edition.revision")
EDITION_TAKEN = {"period": (_l("This edition has just been opened by another administrator."), EDITION_KEY)}
REVISION_TAKEN = {"correction_note": (_l("A newer revision of this edition already exists."), EDITION_KEY)}


def open_draft(year: int, period: int, *, by: User) -> Edition:
    """The draft of (year, period), compiled now if there is none: every approved need
    (新增) and every still-listed need of the previous published edition (延续)."""
    probe = Edition(year=year, period=period, status=EditionStatus.draft)
    require(by, "compile", probe)
    if period not in PERIODS:
        raise ValidationFailed(errors={"period": [_l("Choose a period from 1 to 6.")]})
    existing = db.session.scalars(
        sa.select(Edition).where(Edition.year == year, Edition.period == period)
        .order_by(Edition.revision.desc()).limit(1)
    ).first()
    if existing is not None:
        if existing.is_draft:
            return existing
        raise InvalidTransition(_l("This edition is already published: publish a correction instead."))
    previous = latest_published(before=(year, period))
    edition = Edition(year=year, period=period, revision=1, status=EditionStatus.draft,
                      previous=previous, compiled_by_id=by.id, sort_order="level")
    db.session.add(edition)
    flush_unique(EDITION_TAKEN)  # the row alone, before any query could flush it unguarded
    for need in proposals(previous):
        marker = ItemMarker.carried if need.status is NeedStatus.listed else ItemMarker.new
        _new_item(edition, need, marker, seq=len(edition.items) + 1)
    _renumber(edition)
    db.session.flush()
    audit.record("edition.compile", edition, by=by,
                 after={"year": year, "period": period, "items": len(edition.items)})
    return edition


def proposals(previous: Edition | None) -> list[FinancingNeed]:
    """Approved needs, and the previous edition's needs that are still listed."""
    conditions = [FinancingNeed.status == NeedStatus.approved]
    if previous is not None:
        carried = sa.select(EditionItem.need_id).where(EditionItem.edition_id == previous.id)
        conditions.append(sa.and_(FinancingNeed.status == NeedStatus.listed,
                                  FinancingNeed.id.in_(carried)))
    return list(db.session.scalars(
        sa.select(FinancingNeed).where(sa.or_(*conditions)).order_by(FinancingNeed.id)
        .options(selectinload(FinancingNeed.project).selectinload(Project.org))
    ))


def addable_needs(edition: Edition) -> list[FinancingNeed]:
    """Approved or listed needs not yet in the draft."""
    inside = sa.select(EditionItem.need_id).where(EditionItem.edition_id == edition.id)
    return list(db.session.scalars(
        sa.select(FinancingNeed).join(FinancingNeed.project)
        .where(FinancingNeed.status.in_((NeedStatus.approved, NeedStatus.listed)),
               FinancingNeed.id.not_in(inside))
        .order_by(Project.name, FinancingNeed.id)
    ))


def previous_need_ids(edition: Edition) -> set[int]:
    if edition.previous_id is None:
        return set()
    return set(db.session.scalars(
        sa.select(EditionItem.need_id).where(EditionItem.edition_id == edition.previous_id)))


def add_item(edition: Edition, need: FinancingNeed, *, by: User) -> EditionItem:
    require(by, "edit", edition)
    if need.status not in (NeedStatus.approved, NeedStatus.listed):
        raise InvalidTransition(_l("Only approved or listed needs can be put on an edition."))
    if any(i.need_id == need.id for i in edition.items):
        raise InvalidTransition(_l("This need is already in the edition."))
    marker = ItemMarker.carried if need.id in previous_need_ids(edition) else ItemMarker.new
    item = _new_item(edition, need, marker, seq=len(edition.items) + 1)
    _renumber(edition)
    db.session.flush()
    audit.record("edition.add_item", edition, by=by, after={"need_id": need.id})
    return item


def remove_item(edition: Edition, item: EditionItem, *, by: User) -> None:
    require(by, "edit", edition)
    if item.edition_id != edition.id:
        raise NotFound()
    edition.items.remove(item)
    _renumber(edition)
    db.session.flush()
    audit.record("edition.remove_item", edition, by=by, before={"need_id": item.need_id})


def sort_items(edition: Edition, order: str, *, by: User) -> None:
    require(by, "edit", edition)
    if order not in SORTS:
        raise ValidationFailed(errors={"order": [_l("Choose an order from the list.")]})
    edition.sort_order = order
    _renumber(edition)
    db.session.flush()
    audit.record("edition.sort", edition, by=by, after={"sort_order": order})


def justify(item: EditionItem, code: str, reason: str, *, by: User) -> None:
    """Accept a readiness flag with a reason (the flag turns yellow, the reason is kept)."""
    require(by, "edit", item.edition)
    check = readiness.CHECKS_BY_CODE.get(code)
    if check is None or not check.justifiable:
        raise ValidationFailed(errors={"code": [_l("This check cannot be justified: fix the need or remove it.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": [_l("Give the reason for accepting this item.")]})
    item.justifications = {**(item.justifications or {}),
                           code: {"reason": reason, "by": by.id, "at": utcnow().isoformat()}}
    db.session.flush()
    audit.record("edition.justify", item.edition, by=by,
                 after={"need_id": item.need_id, "check": code, "reason": reason})


PRELOADED = "editions.preloaded"  # session.info: edition id -> its items, loaded in this transaction


def preload(edition: Edition) -> None:
    """Load a draft's items with their needs, projects and organisations in a few
    queries (the compile page, readiness checks and publication read them all), once per
    transaction: the objects stay in the session until its commit or rollback."""
    if edition.id is None:
        return
    done = db.session.info.setdefault(PRELOADED, {})
    if edition.id in done:
        return
    # Kept here until the transaction ends: the session holds loaded objects weakly, and
    # items dropped by the garbage collector would be loaded again one by one.
    items = done[edition.id] = db.session.scalars(
        sa.select(EditionItem).where(EditionItem.edition_id == edition.id).options(
            selectinload(EditionItem.need).options(
                selectinload(FinancingNeed.instrument_rows),
                selectinload(FinancingNeed.project).selectinload(Project.org)),
        ).order_by(EditionItem.seq)).all()
    if "items" not in sa.inspect(edition).dict:  # else edition.items would select them all again
        set_committed_value(edition, "items", items)


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_preloaded(session, *args):
    session.info.pop(PRELOADED, None)  # the objects are expired: load them again next time


# ---- readiness -------------------------------------------------------------------------------
def live_data(edition: Edition) -> dict[int, dict]:
    """Per item id, the snapshot dict of a draft's item built from its need as it is now
    (what check_readiness reads and publication freezes, built once for both)."""
    preload(edition)
    return {item.id: build_snapshot(item.need, seq=item.seq, marker=item.marker)
            for item in edition.items if item.snapshot is None}


def check_readiness(edition: Edition, live: dict[int, dict] | None = None) -> dict[int, list[readiness.Flag]]:
    """Flags per item id, red and yellow, on the live data of the draft's needs (`live`:
    the dicts of live_data, when the caller has them already)."""
    if edition.is_draft:
        preload(edition)
    datas = {}
    for item in edition.items:
        data = dict(live[item.id] if live is not None and item.id in live else item_data(item))
        if item.snapshot is None:
            data["need_status"] = item.need.status.value
            data["changed_since_approval"] = [c.label for c in approval.changes_since_approval(item.need)]
        datas[item.id] = data
    all_items = readiness.Batch(datas.values())
    return {item.id: readiness.flags_for(datas[item.id], all_items, item.justifications)
            for item in edition.items}


def red_count(flags: dict[int, list[readiness.Flag]]) -> int:
    return sum(1 for item_flags in flags.values() for f in item_flags if f.red)


