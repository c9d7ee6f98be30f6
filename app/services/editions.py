"""List editions (清单期次): compile, check, publish, correct, compare, read.

THE SNAPSHOT CONTRACT (shared with app/services/exports.py and the API)
-----------------------------------------------------------------------
Publishing freezes, for every item, a dict of every displayed field (EditionItem.snapshot).
All values are JSON-serialisable:

    seq (int)                    marker ("new" | "carried")
    need_id, project_id (int)    project_name, project_code, owner_org (organisation name)
    level, category (enum values)        industry_code, industry_name_zh
    district_code, district_name_zh      zone_code, zone_name_zh (or null)
    stage, reserve_substage (enum value or null)
    total_investment, annual_planned_investment, amount, funds_secured
                                 (decimal strings in 万元, e.g. "123456.78")
    instruments (list of Instrument values)      term_months (int)
    cost_ceiling (decimal string, % a year, or null)      use_of_funds
    credit_enhancements (list of CreditEnhancement values)
    planned_start, planned_completion (ISO dates or null)
    description, is_priority (bool)
    contact_name, contact_phone, contact_email   (never shown to the public; exports
                                                  and public API answers leave them out)

The edition's META dict: year, period, revision, title_zh ("2026年第6期（11–12月）"),
months_zh ("11–12月"), published_at (ISO), correction_note (or null), item_count.

Services flush and never commit: publish_edition() writes the snapshots, moves the
needs to listed, supersedes the previous edition, stores the export files and queues the
notifications in the caller's transaction, so a failure at any step leaves nothing
published once the caller rolls back.
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.orm import contains_eager, lazyload, load_only, selectinload

from app.extensions import db
from app.models import (
    PUBLIC_EDITION_STATUSES,
    Edition,
    EditionFile,
    EditionItem,
    EditionItemInstrument,
    EditionStatus,
    FinancingNeed,
    ItemMarker,
    NeedStatus,
    Project,
    Role,
    SavedSearch,
    User,
    UserStatus,
)
from app.models.base import utcnow
from app.models.edition import MONTHS_ZH, PERIODS, title_zh
from app.reference import Category, Instrument, Level, district, industry, zone
from app.services import approval, audit, readiness
from app.services.errors import InvalidTransition, NotFound, ValidationFailed, flush_unique
from app.services.loader import get_visible
from app.services.notifications import notify
from app.services.params import BadNumber, amount_range_error, parse_amount, valid_id
from app.services.permissions import can, require, visible_editions
from app.services.workflow import move

CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")
# Fields compared in the changelog (everything but the position and the marker).
COMPARED_FIELDS = (
    "project_name", "owner_org", "level", "category", "industry_code", "district_code", "zone_code",
    "stage", "reserve_substage", "total_investment", "annual_planned_investment", "amount",
    "funds_secured", "instruments", "term_months", "cost_ceiling", "use_of_funds",
    "credit_enhancements", "planned_start", "planned_completion", "description", "is_priority",
    "contact_name", "contact_phone", "contact_email",
)
EXPORT_FORMATS = ("pdf", "xlsx", "csv", "json")
MIME_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}

# Orders an admin can give a draft (renumbers seq) and readers can sort a page by.
LEVEL_ORDER = {lv.value: i for i, lv in enumerate(Level)}
SORTS = {
    "level": _l("Level, then district and amount"),
    "district": _l("District, then amount"),
    "amount": _l("Amount, largest first"),
    "category": _l("Category, then amount"),
    "industry": _l("Industry, then amount"),
}


# ---- snapshots ---------------------------------------------------------------------------
def _money(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def build_snapshot(need: FinancingNeed, *, seq: int, marker: ItemMarker) -> dict:
    """The snapshot dict of a need as it is now (see the contract above)."""
    project = need.project
    place, zone_place, trade = district(project.district_code), zone(project.zone_code), industry(project.industry_code)
    return {
        "seq": seq,
        "marker": marker.value,
        "need_id": need.id,
        "project_id": project.id,
        "project_name": project.name,
        "project_code": project.code,
        "owner_org": project.org.name,
        "level": project.level.value,
        "category": project.category.value,
        "industry_code": project.industry_code,
        "industry_name_zh": trade.name_zh if trade else None,
        "district_code": project.district_code,
        "district_name_zh": place.name_zh if place else None,
        "zone_code": project.zone_code,
        "zone_name_zh": zone_place.name_zh if zone_place else None,
        "stage": project.stage.value,
        "reserve_substage": project.reserve_substage.value if project.reserve_substage else None,
        "total_investment": _money(project.total_investment),
        "annual_planned_investment": _money(project.annual_planned_investment),
        "amount": _money(need.amount),
        "funds_secured": _money(need.funds_secured or 0),
        "instruments": [i.value for i in need.instruments],
        "term_months": need.term_months,
        "cost_ceiling": _money(need.cost_ceiling),
        "use_of_funds": need.use_of_funds,
        "credit_enhancements": list(need.credit_enhancements or []),
        "planned_start": _iso(project.planned_start),
        "planned_completion": _iso(project.planned_completion),
        "description": project.description or "",
        "is_priority": bool(project.is_priority),
        "contact_name": need.contact_name,
        "contact_phone": need.contact_phone,
        "contact_email": need.contact_email,
    }


def item_data(item: EditionItem) -> dict:
    """What a reader sees of an item: the frozen snapshot once published, the live need
    (the same dict) while the edition is a draft."""
    if item.snapshot is not None:
        return item.snapshot
    return build_snapshot(item.need, seq=item.seq, marker=item.marker)


def public_data(data: dict) -> dict:
    """The snapshot without contact details (anonymous readers, exports)."""
    return {k: (None if k in CONTACT_FIELDS else v) for k, v in data.items()}


def _denormalise(item: EditionItem, data: dict) -> None:
    item.district_code = data["district_code"]
    item.category = data["category"]
    item.industry_code = data["industry_code"]
    item.level = data["level"]
    item.amount = Decimal(data["amount"])
    item.search_text = "\n".join(
        (data["project_name"], data["owner_org"], data["description"] or "")
    ).lower()
    wanted = set(data["instruments"])
    item.instrument_rows = [r for r in item.instrument_rows if r.instrument.value in wanted]
    have = {r.instrument.value for r in item.instrument_rows}
    for value in data["instruments"]:
        if value not in have:
            item.instrument_rows.append(EditionItemInstrument(instrument=Instrument(value)))


def meta(edition: Edition) -> dict:
    return {
        "year": edition.year,
        "period": edition.period,
        "revision": edition.revision,
        "title_zh": title_zh(edition.year, edition.period),
        "months_zh": MONTHS_ZH[edition.period],
        "published_at": _iso(edition.published_at),
        "correction_note": edition.correction_note,
        "item_count": len(edition.items),
    }


# ---- finding editions ------------------------------------------------------------------------
def parse_key(key: str) -> tuple[int, int]:
    """"2026-6" -> (2026, 6); anything else is NotFound."""
    try:
        year, period = (int(p) for p in key.split("-"))
    except ValueError:
        raise NotFound() from None
    if period not in PERIODS or not 2000 <= year <= 2100:
        raise NotFound()
    return year, period


def get_edition(year: int, period: int, *, user, revision: int | None = None,
                drafts: bool = False) -> Edition:
    """The revision asked for (a draft only for admins), or else the latest published
    revision (the latest revision, draft included, with drafts=True)."""
    if period not in PERIODS or not 2000 <= year <= 2100 or (revision is not None and not 0 < revision < 10_000):
        raise NotFound()
    query = visible_editions(user).where(Edition.year == year, Edition.period == period)
    if revision is not None:
        query = query.where(Edition.revision == revision)
    elif not drafts:
        query = query.where(Edition.status.in_(PUBLIC_EDITION_STATUSES))
    edition = db.session.scalars(query.order_by(Edition.revision.desc()).limit(1)).first()
    if edition is None:
        raise NotFound()
    return edition


def list_editions(user) -> sa.Select:
    return visible_editions(user).order_by(
        Edition.year.desc(), Edition.period.desc(), Edition.revision.desc()
    )


def latest_published(before: tuple[int, int] | None = None) -> Edition | None:
    query = sa.select(Edition).where(Edition.status.in_(PUBLIC_EDITION_STATUSES))
    if before is not None:
        query = query.where(sa.tuple_(Edition.year, Edition.period) < sa.tuple_(*before))
    query = query.order_by(Edition.year.desc(), Edition.period.desc(), Edition.revision.desc())
    return db.session.scalars(query.limit(1)).first()


def revisions(edition: Edition) -> tuple[list[Edition], Edition | None]:
    """The published revisions of the edition's period, oldest first, and, for a
    superseded edition, the one to read instead: the edition now published (a later
    revision of the same period or a later period). One query for both."""
    same_period = sa.and_(Edition.year == edition.year, Edition.period == edition.period)
    rows = list(db.session.scalars(
        sa.select(Edition).where(Edition.status.in_(PUBLIC_EDITION_STATUSES),
                                 sa.or_(same_period, Edition.status == EditionStatus.published))
        .order_by(Edition.year, Edition.period, Edition.revision)
    ))
    current = None
    if edition.status is EditionStatus.superseded:
        current = next((e for e in reversed(rows) if e.status is EditionStatus.published), None)
    return [e for e in rows if (e.year, e.period) == (edition.year, edition.period)], current


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
    _denormalise(item, build_snapshot(need, seq=seq, marker=marker))
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


def _previous_need_ids(edition: Edition) -> set[int]:
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
    marker = ItemMarker.carried if need.id in _previous_need_ids(edition) else ItemMarker.new
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


def preload(edition: Edition) -> None:
    """Load a draft's items with their needs, projects and organisations in a few
    queries (the compile page, readiness checks and publication read them all)."""
    if edition.id is None:
        return
    db.session.scalars(
        sa.select(EditionItem).where(EditionItem.edition_id == edition.id).options(
            selectinload(EditionItem.instrument_rows),
            selectinload(EditionItem.need).options(
                selectinload(FinancingNeed.instrument_rows),
                selectinload(FinancingNeed.project).selectinload(Project.org)),
        )).all()


# ---- readiness -------------------------------------------------------------------------------
def check_readiness(edition: Edition) -> dict[int, list[readiness.Flag]]:
    """Flags per item id, red and yellow, on the live data of the draft's needs."""
    if edition.is_draft:
        preload(edition)
    datas = {}
    for item in edition.items:
        data = dict(item_data(item))
        if item.snapshot is None:
            data["need_status"] = item.need.status.value
            data["changed_since_approval"] = [c.label for c in approval.changes_since_approval(item.need)]
        datas[item.id] = data
    all_items = readiness.Batch(datas.values())
    return {item.id: readiness.flags_for(datas[item.id], all_items, item.justifications)
            for item in edition.items}


def red_count(flags: dict[int, list[readiness.Flag]]) -> int:
    return sum(1 for item_flags in flags.values() for f in item_flags if f.red)


# ---- publishing ------------------------------------------------------------------------------------
def request_publication(edition: Edition, *, by: User) -> None:
    """Maker–checker, first half: the readiness checks pass and a second admin is asked."""
    require(by, "request_publication", edition)
    _refuse_if_red(edition)
    edition.requested_by_id = by.id
    edition.requested_at = utcnow()
    edition.sent_back_by_id = edition.sent_back_at = edition.sent_back_note = None
    db.session.flush()
    audit.record("edition.request_publication", edition, by=by)
    from app.services.accounts import active_admins

    notify([a for a in active_admins() if a.id != by.id], "edition_approval_requested",
           {"year": edition.year, "period": edition.period, "by": by.name},
           link=f"/editions/{edition.key}/compile")


def send_back_publication(edition: Edition, comment: str, *, by: User) -> None:
    """Maker–checker, the other answer: the checker refuses the request with a comment.
    The request is cleared (the maker fixes the draft and asks again), the comment stays
    on the edition for the maker to read, and the maker is told."""
    if edition.requested_by_id is None:
        require(by, "request_publication", edition)  # who may act at all, then: nothing to answer
        raise InvalidTransition(_l("No publication request is waiting for approval."))
    require(by, "approve_publication", edition)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(errors={"comment": [_l("Say what the requester should change.")]})
    if len(comment) > 2000:
        raise ValidationFailed(errors={"comment": [_l("Keep the comment within 2,000 characters.")]})
    maker = edition.requested_by
    before = {"requested_by": maker.name, "requested_at": edition.requested_at}
    edition.requested_by_id = edition.requested_at = None
    edition.sent_back_by_id, edition.sent_back_at, edition.sent_back_note = by.id, utcnow(), comment
    db.session.flush()
    audit.record("edition.send_back", edition, by=by, before=before, note=comment)
    notify([maker], "edition_publication_sent_back",
           {"year": edition.year, "period": edition.period, "by": by.name, "comment": comment},
           link=f"/editions/{edition.key}/compile")


def awaiting_approval(user) -> list[Edition]:
    """Draft editions whose publication request this admin may approve (the checker's
    to-do list; never the admin's own requests)."""
    if not can(user, "compile", Edition(status=EditionStatus.draft)):
        return []
    return list(db.session.scalars(
        sa.select(Edition).where(Edition.status == EditionStatus.draft,
                                 Edition.requested_by_id.is_not(None),
                                 Edition.requested_by_id != user.id)
        .options(selectinload(Edition.requested_by))
        .order_by(Edition.requested_at, Edition.id)))


def _refuse_if_red(edition: Edition) -> None:
    if not edition.items:
        raise ValidationFailed(_l("An edition needs at least one item."))
    red = red_count(check_readiness(edition))
    if red:
        raise ValidationFailed(_l("%(n)d readiness flag(s) are still red: fix or justify them first.", n=red))


def publish_edition(edition: Edition, *, by: User) -> Edition:
    """Publish a draft in the caller's transaction (flush only; the caller commits).

    With REQUIRE_SECOND_APPROVAL on, `by` must be a second admin approving a request
    made by another admin (request_publication)."""
    require(by, "publish", edition)
    if current_app.config.get("REQUIRE_SECOND_APPROVAL"):
        if edition.requested_by_id is None:
            raise InvalidTransition(_l("A second administrator must approve this publication: request it first."))
        if edition.requested_by_id == by.id:
            raise InvalidTransition(_l("You requested this publication: another administrator must approve it."))
    latest = latest_published()
    if latest is not None and (latest.year, latest.period) > (edition.year, edition.period):
        raise InvalidTransition(_l("A later edition is already published."))
    _refuse_if_red(edition)

    previous_ids = _previous_need_ids(edition)
    for item in sorted(edition.items, key=lambda i: i.seq):
        item.marker = ItemMarker.carried if item.need_id in previous_ids else ItemMarker.new
        data = build_snapshot(item.need, seq=item.seq, marker=item.marker)
        item.snapshot = data
        _denormalise(item, data)
        if item.need.status is NeedStatus.approved:
            move(item.need, NeedStatus.listed, by=by, note=edition.title_zh)
    db.session.flush()

    for older in db.session.scalars(sa.select(Edition).where(
            Edition.status == EditionStatus.published, Edition.id != edition.id)):
        move(older, EditionStatus.superseded, by=by)
    if current_app.config.get("REQUIRE_SECOND_APPROVAL"):
        edition.published_by_id, edition.approved_by_id = edition.requested_by_id, by.id
    else:
        edition.published_by_id = by.id
    edition.published_at = utcnow()
    move(edition, EditionStatus.published, by=by, note=edition.correction_note)
    edition.changelog = changelog(edition)
    _store_files(edition)
    db.session.flush()
    _notify_readers(edition)
    return edition


def _store_files(edition: Edition) -> None:
    from app.services import exports

    makers = {"pdf": exports.edition_pdf, "xlsx": exports.edition_xlsx,
              "csv": exports.edition_csv, "json": exports.edition_json}
    info = meta(edition)
    items = [public_data(i.snapshot) for i in sorted(edition.items, key=lambda i: i.seq)]
    for fmt in EXPORT_FORMATS:
        content = makers[fmt](info, items)
        edition.files.append(EditionFile(format=fmt, content=content, size=len(content),
                                         sha256=hashlib.sha256(content).hexdigest()))


def edition_file(edition: Edition, fmt: str) -> EditionFile:
    if fmt not in EXPORT_FORMATS or not edition.is_public:
        raise NotFound()
    row = db.session.scalars(sa.select(EditionFile).where(
        EditionFile.edition_id == edition.id, EditionFile.format == fmt)).first()
    if row is None:
        raise NotFound()
    return row


def create_correction(edition: Edition, note: str, *, by: User) -> Edition:
    """A new draft revision of a published edition, with the same items."""
    require(by, "correct", edition)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(errors={"correction_note": [_l("Explain what the correction changes.")]})
    latest = db.session.scalar(sa.select(sa.func.max(Edition.revision)).where(
        Edition.year == edition.year, Edition.period == edition.period))
    if latest != edition.revision:
        raise InvalidTransition(_l("A newer revision of this edition already exists."))
    draft = Edition(year=edition.year, period=edition.period, revision=edition.revision + 1,
                    status=EditionStatus.draft, correction_note=note, previous_id=edition.previous_id,
                    compiled_by_id=by.id, sort_order=edition.sort_order)
    db.session.add(draft)
    flush_unique(REVISION_TAKEN)  # the row alone, before loading the items could flush it
    for item in sorted(edition.items, key=lambda i: i.seq):
        copy = EditionItem(need_id=item.need_id, seq=item.seq, marker=item.marker,
                           justifications=dict(item.justifications or {}))
        draft.items.append(copy)
        _denormalise(copy, item.snapshot)
    db.session.flush()
    audit.record("edition.correct", draft, by=by, after={"revision": draft.revision}, note=note)
    return draft


# ---- changelog --------------------------------------------------------------------------------------
REMOVAL_REASONS = {
    NeedStatus.financed.value: _l("Financed"),
    NeedStatus.withdrawn.value: _l("Withdrawn"),
    NeedStatus.expired.value: _l("Expired"),
    "not_carried": _l("Not carried over"),
}


def changelog(edition: Edition) -> dict:
    """Against the previous edition: new, carried, removed (with the reason) and changed
    items (with the fields that changed). Frozen into the edition at publication."""
    if edition.changelog is not None and not edition.is_draft:
        return edition.changelog
    current = {i.need_id: item_data(i) for i in edition.items}
    before = {}
    if edition.previous_id is not None:
        before = {i.need_id: i.snapshot for i in db.session.scalars(
            sa.select(EditionItem).where(EditionItem.edition_id == edition.previous_id))}
    statuses = dict(db.session.execute(
        sa.select(FinancingNeed.id, FinancingNeed.status).where(
            FinancingNeed.id.in_(set(before) - set(current)))).all()) if before else {}

    def brief(d):
        return {"need_id": d["need_id"], "seq": d["seq"], "project_name": d["project_name"],
                "owner_org": d["owner_org"], "amount": d["amount"]}

    log = {"new": [], "carried": [], "removed": [], "changed": []}
    for need_id, data in sorted(current.items(), key=lambda kv: kv[1]["seq"]):
        if need_id not in before:
            log["new"].append(brief(data))
            continue
        log["carried"].append(brief(data))
        fields = [f for f in COMPARED_FIELDS if before[need_id].get(f) != data.get(f)]
        if fields:
            log["changed"].append({**brief(data), "fields": fields,
                                   "before": {f: before[need_id].get(f) for f in fields},
                                   "after": {f: data.get(f) for f in fields}})
    for need_id, data in sorted(before.items(), key=lambda kv: kv[1]["seq"]):
        if need_id not in current:
            status = statuses.get(need_id)
            reason = status.value if status is not None and status.value in REMOVAL_REASONS else "not_carried"
            log["removed"].append({**brief(data), "reason": reason})
    return log


# ---- reading: filters, search, pagination -------------------------------------------------------
@dataclass
class Filters:
    district: str | None = None
    category: str | None = None
    industry: str | None = None
    level: str | None = None
    instrument: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    marker: str | None = None
    q: str | None = None
    sort: str = "seq"
    # What the reader typed into a refused filter (shown back in the form), and why it
    # was refused: field -> [message]. A refused filter is not applied.
    typed: dict = field(default_factory=dict, compare=False)
    errors: dict = field(default_factory=dict, compare=False)

    FIELDS = ("district", "category", "industry", "level", "instrument", "min_amount",
              "max_amount", "marker", "q", "sort")
    CHOICES = {
        "district": lambda v: district(v) is not None,
        "industry": lambda v: industry(v) is not None and not v.isalpha(),
        "category": lambda v: v in {c.value for c in Category},
        "level": lambda v: v in {c.value for c in Level},
        "instrument": lambda v: v in {c.value for c in Instrument},
        "marker": lambda v: v in {c.value for c in ItemMarker},
    }

    @classmethod
    def from_args(cls, args) -> "Filters":
        """From a query string or a saved search. A value that is not one of its choices,
        an amount that is not a number, negative or out of range, and an upper amount
        below the lower one are refused: recorded in `errors`, not applied."""
        f = cls()
        for name in ("district", "category", "industry", "level", "instrument", "marker", "q"):
            value = (args.get(name) or "").strip()[:100] or None
            if value is not None and name in cls.CHOICES and not cls.CHOICES[name](value):
                f._refuse(name, value, _l("Choose a value from the list."))
                continue
            setattr(f, name, value)
        for name in ("min_amount", "max_amount"):
            raw = args.get(name)
            try:
                setattr(f, name, parse_amount(raw))
            except BadNumber as exc:
                f._refuse(name, str(raw).strip()[:40], exc.message)
        message = amount_range_error(f.min_amount, f.max_amount)
        if message is not None:
            for name in ("min_amount", "max_amount"):
                f.typed[name] = str(args.get(name)).strip()[:40]
            f.min_amount = f.max_amount = None
            f.errors["max_amount"] = [message]
        f.sort = args.get("sort") if args.get("sort") in READER_SORTS else "seq"
        return f

    def _refuse(self, name: str, typed: str, message) -> None:
        self.typed[name] = typed
        self.errors[name] = [message]

    def shown(self, name: str) -> str:
        """The value to put back into the filter form: what was typed, if it was refused."""
        if name in self.typed:
            return self.typed[name]
        value = getattr(self, name)
        return "" if value is None else str(value)

    def as_dict(self) -> dict:
        """The non-empty filters, as strings (stored in saved searches, put in links)."""
        out = {}
        for name in self.FIELDS:
            value = getattr(self, name)
            if value not in (None, "") and not (name == "sort" and value == "seq"):
                out[name] = str(value)
        return out

    @property
    def active(self) -> bool:
        return any(k != "sort" for k in self.as_dict())

    def in_words(self) -> list[tuple[str, str]]:
        """The filters as a reader knows them, (label, value) in the current language:
        [("所属区（市）县", "锦江区"), ("融资方式", "项目贷款")]. Unknown codes are shown as given."""
        return filter_words(self.as_dict())


FILTER_LABELS = {
    "q": _l("Keyword"),
    "district": _l("District"),
    "category": _l("Category"),
    "industry": _l("Industry"),
    "level": _l("Level"),
    "instrument": _l("Instrument"),
    "min_amount": _l("Amount from (10k yuan)"),
    "max_amount": _l("Amount to (10k yuan)"),
    "marker": _l("New / carried over"),
    "sort": _l("Sort by"),
}
SORT_LABELS = {
    "seq": _l("List order"),
    "amount_desc": _l("Amount, largest first"),
    "amount_asc": _l("Amount, smallest first"),
    "district": _l("District"),
    "level": _l("Level"),
}


def _filter_value(name: str, value: str) -> str:
    from app import reference as ref

    if name == "district":
        place = ref.district(value) or ref.zone(value)
        return place.label if place else value
    if name == "industry":
        trade = ref.industry(value)
        return trade.label if trade else value
    enums = {"category": Category, "level": Level, "instrument": Instrument, "marker": ItemMarker}
    if name in enums:
        member = next((m for m in enums[name] if m.value == value), None)
        return ref.label(member) if member is not None else value
    if name == "sort":
        return str(SORT_LABELS.get(value, value))
    return value


def filter_words(filters: dict) -> list[tuple[str, str]]:
    """(label, value) of each stored filter (Filters.as_dict, a saved search), in words."""
    return [(str(FILTER_LABELS.get(k, k)), _filter_value(k, str(v))) for k, v in filters.items()]


def filters_sentence(filters: "Filters") -> str:
    """所属区（市）县：锦江区；融资方式：项目贷款 (in the current language's punctuation)."""
    from flask_babel import gettext

    return gettext("; ").join(gettext("%(label)s: %(value)s", label=k, value=v) for k, v in filters.in_words())


READER_SORTS = {
    "seq": (EditionItem.seq,),
    "amount_desc": (EditionItem.amount.desc(), EditionItem.seq),
    "amount_asc": (EditionItem.amount, EditionItem.seq),
    "district": (EditionItem.district_code, EditionItem.seq),
    "level": (EditionItem.level, EditionItem.seq),
}


def _conditions(edition: Edition, filters: Filters) -> list:
    """The WHERE terms of the edition's items matching the filters. Each equality filter
    has an index led by edition_id (app/models/edition.py)."""
    conditions = [EditionItem.edition_id == edition.id]
    for name, column in (("district", EditionItem.district_code), ("category", EditionItem.category),
                         ("industry", EditionItem.industry_code), ("level", EditionItem.level)):
        if getattr(filters, name):
            conditions.append(column == getattr(filters, name))
    if filters.marker in {m.value for m in ItemMarker}:
        conditions.append(EditionItem.marker == ItemMarker(filters.marker))
    if filters.instrument in {i.value for i in Instrument}:
        conditions.append(EditionItem.id.in_(sa.select(EditionItemInstrument.item_id).where(
            EditionItemInstrument.instrument == Instrument(filters.instrument))))
    if filters.min_amount is not None:
        conditions.append(EditionItem.amount >= filters.min_amount)
    if filters.max_amount is not None:
        conditions.append(EditionItem.amount <= filters.max_amount)
    if filters.q:
        # A substring match on the denormalised text: right for Chinese queries of any
        # length (no word segmentation), with % and _ taken literally.
        conditions.append(EditionItem.search_text.contains(filters.q.lower(), autoescape=True))
    return conditions


def search_items(edition: Edition, filters: Filters) -> sa.Select:
    """The edition's items matching the filters, in the chosen order."""
    return sa.select(EditionItem).where(*_conditions(edition, filters)).order_by(
        *READER_SORTS.get(filters.sort, READER_SORTS["seq"]))


class ItemPage(SelectPagination):
    """One page of an edition's items. The count is a plain COUNT over the indexed WHERE
    terms (db.paginate counts a subquery of every column, snapshots included); the same
    query sums the matching items' amounts (total_amount, 万元) for the list's summary."""

    total_amount: Decimal | None = None

    def _query_count(self) -> int:
        count, total = self._query_args["session"].execute(
            sa.select(sa.func.count(), sa.func.sum(EditionItem.amount))
            .select_from(EditionItem).where(*self._query_args["conditions"])).one()
        self.total_amount = Decimal(total or 0)
        return count


def page_items(edition: Edition, filters: Filters, *, page: int, per_page: int) -> ItemPage:
    """The page asked for (the last one if beyond it). A published edition's rows are read
    from the snapshots alone; a draft's items come with their needs (item_data)."""
    conditions = _conditions(edition, filters)
    query = sa.select(EditionItem).where(*conditions).order_by(
        *READER_SORTS.get(filters.sort, READER_SORTS["seq"]))
    if edition.is_draft:
        query = query.options(selectinload(EditionItem.need).options(
            selectinload(FinancingNeed.instrument_rows),
            selectinload(FinancingNeed.project).selectinload(Project.org)))
    else:
        query = query.options(load_only(EditionItem.id, EditionItem.edition_id, EditionItem.need_id,
                                        EditionItem.seq, EditionItem.marker, EditionItem.snapshot))
    def one(number: int) -> ItemPage:
        return ItemPage(page=max(number, 1), per_page=per_page, max_per_page=None, error_out=False,
                        select=query, session=db.session(), conditions=conditions)

    result = one(page)
    if result.pages and page > result.pages:
        result = one(result.pages)
    return result


def edition_industries(edition: Edition) -> set[str]:
    """The industry codes of the edition's items (one query): the industry filter offers
    these, not every division of GB/T 4754."""
    return set(db.session.scalars(sa.select(EditionItem.industry_code).where(
        EditionItem.edition_id == edition.id).distinct()))


def get_item(edition: Edition, seq: int) -> EditionItem:
    if not valid_id(seq):  # beyond an INTEGER column: no such item (and no query)
        raise NotFound()
    item = db.session.scalars(sa.select(EditionItem).where(
        EditionItem.edition_id == edition.id, EditionItem.seq == seq)).first()
    if item is None:
        raise NotFound()
    return item


def contact_of(item: EditionItem, *, user) -> dict | None:
    """The item's contact details if the user may see them; each reading is audited."""
    if not can(user, "view_contact", item):
        return None
    data = item_data(item)
    audit.record("edition_item.view_contact", item, by=user,
                 note=f"{item.edition.title_zh} 第{item.edition.revision}版 第{item.seq}项")
    return {k: data.get(k) for k in CONTACT_FIELDS}


# ---- exports of a selection ----------------------------------------------------------------------
# A whole edition is at most a few thousand items; a PDF costs ~10 ms of CPU a row.
EXPORT_MAX_ITEMS = {"xlsx": 5000, "csv": 5000, "json": 5000, "pdf": 1000}
SELECTION_FORMATS = ("pdf", "xlsx", "csv", "json")
CONTACT_FORMATS = ("pdf", "xlsx", "csv")


class TooManyItems(ValidationFailed):
    pass


def _selection(edition: Edition, filters: Filters, *, with_owner: bool = False,
               snapshots: bool = True) -> list[EditionItem]:
    """The matching items in one statement; with_owner joins what the view_contact rule
    reads (the need's project's organisation) instead of loading it item by item."""
    columns = [EditionItem.id, EditionItem.edition_id, EditionItem.need_id, EditionItem.seq]
    query = search_items(edition, filters).options(
        load_only(*columns, *([EditionItem.snapshot] if snapshots else [])))
    if with_owner:
        query = query.join(EditionItem.need).join(FinancingNeed.project).options(
            contains_eager(EditionItem.need).options(
                load_only(FinancingNeed.id, FinancingNeed.project_id), lazyload(FinancingNeed.instrument_rows),
                contains_eager(FinancingNeed.project).load_only(Project.id, Project.org_id)))
    return list(db.session.scalars(query))


def _contacts_allowed(user, items) -> bool:
    from app.services.permissions import can

    return bool(items) and all(can(user, "view_contact", i) for i in items)


def may_export_contacts(edition: Edition, filters: Filters, user) -> bool:
    """Whether `user` may download this selection with contact details: the view_contact
    rule holds for every item of it. Never for the public."""
    if user is None or not getattr(user, "is_authenticated", False) or not edition.is_public:
        return False
    return _contacts_allowed(user, _selection(edition, filters, with_owner=True, snapshots=False))


def export_selection(edition: Edition, filters: Filters, fmt: str, *, by=None,
                     contacts: bool = False) -> tuple[bytes, str]:
    """A file of the edition's items matching the filters, in their order, made now: its
    content and file name (…_筛选结果). The stored files stay the official full list.
    With contacts=True every item must pass the view_contact rule, and the download is
    audited (one row, with the filters); the caller commits."""
    from app.services import exports
    from app.services.errors import NotAllowed

    if not edition.is_public or fmt not in (CONTACT_FORMATS if contacts else SELECTION_FORMATS):
        raise NotFound()
    items = _selection(edition, filters, with_owner=contacts)
    limit = EXPORT_MAX_ITEMS[fmt]
    if len(items) > limit:
        raise TooManyItems(_l("This selection has %(n)d items: narrow the filters to %(max)d items or fewer, "
                              "or download the full list.", n=len(items), max=limit))
    if contacts and not _contacts_allowed(by, items):
        raise NotAllowed()
    from flask_babel import force_locale

    with force_locale("zh"):  # the exports are in Chinese, the official list's language
        info = {**meta(edition), "selection": filters_sentence(filters), "item_count": len(items),
                "contacts": contacts}
    datas = [i.snapshot if contacts else public_data(i.snapshot) for i in items]
    makers = {"pdf": exports.edition_pdf, "xlsx": exports.edition_xlsx,
              "csv": exports.edition_csv, "json": exports.edition_json}
    content = makers[fmt](info, datas)
    if contacts:
        audit.record("edition.export_contacts", edition, by=by, note=info["selection"] or None,
                     after={"format": fmt, "filters": filters.as_dict(), "items": len(items)})
    return content, exports.filename(info, fmt)


# ---- saved searches and notifications ---------------------------------------------------------------
def user_searches(user: User) -> list[SavedSearch]:
    return list(db.session.scalars(
        sa.select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.created_at, SavedSearch.id)))


def save_search(user: User, *, name: str, filters: Filters, email: bool = True) -> SavedSearch:
    require(user, "create", SavedSearch(user_id=user.id))
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(errors={"name": [_l("Give the search a name.")]})
    search = SavedSearch(user_id=user.id, name=name[:60], filters=filters.as_dict(), email=bool(email))
    db.session.add(search)
    db.session.flush()
    audit.record("saved_search.create", search, by=user, after={"name": search.name, "filters": search.filters})
    return search


def get_search(search_id: int, *, user) -> SavedSearch:
    return get_visible(SavedSearch, search_id, user, "delete")


def delete_search(search: SavedSearch, *, by: User) -> None:
    require(by, "delete", search)
    db.session.delete(search)
    db.session.flush()
    audit.record("saved_search.delete", search, by=by, before={"name": search.name})


def set_search_email(search: SavedSearch, email: bool, *, by: User) -> None:
    require(by, "delete", search)
    search.email = bool(email)
    db.session.flush()


def matching_need_ids(edition: Edition, filters: Filters) -> set[int]:
    query = search_items(edition, filters).with_only_columns(EditionItem.need_id).order_by(None)
    return set(db.session.scalars(query))


def _readers() -> list[User]:
    """Verified institution users and experts: told of every publication."""
    from app.models import Organization, OrgStatus

    return list(db.session.scalars(
        sa.select(User).join(User.org).where(
            User.role.in_((Role.institution, Role.expert)), User.status == UserStatus.active,
            Organization.status == OrgStatus.verified).order_by(User.id)))


def _notify_readers(edition: Edition) -> None:
    """Each reader gets an in-app notification; the e-mail goes to everyone except those
    whose saved searches all have e-mail switched off."""
    total = len(edition.items)
    searches: dict[int, list[SavedSearch]] = {}
    for search in db.session.scalars(sa.select(SavedSearch)):
        searches.setdefault(search.user_id, []).append(search)
    params = {"year": edition.year, "period": edition.period, "total": total}
    kind = "edition_published"
    if edition.revision > 1:  # a correction: the notice and its e-mail say so (更正)
        kind = "edition_corrected"
        params.update(revision=edition.revision, note=edition.correction_note or "")
    link = f"/editions/{edition.key}"
    for user in _readers():
        mine = searches.get(user.id, [])
        if not mine:
            notify([user], kind, params, link)
            continue
        matched = set()
        for search in mine:
            matched |= matching_need_ids(edition, Filters.from_args(search.filters))
        names = "、".join(s.name for s in mine)
        notify([user], f"{kind}_matches", {**params, "matching": len(matched), "searches": names},
               link, email=any(s.email for s in mine))
