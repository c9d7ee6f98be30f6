"""Snapshots of items at publication, the edition's meta, and the changelog between editions."""


from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    Edition,
    EditionItem,
    EditionItemInstrument,
    FinancingNeed,
    ItemMarker,
    NeedStatus,
)
from app.models.edition import MONTHS_ZH, title_zh
from app.reference import Instrument, district, industry, zone
from app.services.editions.common import COMPARED_FIELDS, CONTACT_FIELDS


# ---- snapshots ---------------------------------------------------------------------------
def _money(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def build_snapshot(need: FinancingNeed, *, seq: int, marker: ItemMarker) -> dict:
    """The snapshot dict of a need as it is now (see the contract in the package docstring)."""
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


def denormalised(data: dict) -> dict:
    """The item's columns for filters, sorts and the keyword search, taken from its data."""
    return {
        "district_code": data["district_code"],
        "category": data["category"],
        "industry_code": data["industry_code"],
        "level": data["level"],
        "amount": Decimal(data["amount"]),
        "search_text": "\n".join((data["project_name"], data["owner_org"], data["description"] or "")).lower(),
    }


def denormalise(item: EditionItem, data: dict) -> None:
    for key, value in denormalised(data).items():
        setattr(item, key, value)
    sync_instruments(item, data)


def sync_instruments(item: EditionItem, data: dict) -> None:
    """The item's instrument rows (the instrument filter) made those of its data; the
    collection is left alone when it already holds them."""
    wanted = set(data["instruments"])
    if {r.instrument.value for r in item.instrument_rows} == wanted:
        return
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


