"""The Excel file of the reader's own deals (/interests/export.xlsx): the interests the
workspace lists with its filters, one row each, as a bank's account manager files them.

Read through search_interests(user, filters), hence visible_interests(user): an institution
gets its own organisation's interests, an owner those in its needs, administrators all.
Amounts are numbers in 万元 (number format, exact Decimals), dates are dates (Beijing
time), text is formula-safe (the shared writer). Headers and labels are in the reader's
language. The other side's contact person is given as the rules allow it: an institution
sees the need's contact (a read the audit log records, as on the need page), an owner the
institution's account manager. The export itself is an entry of the audit log.
"""

import io
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Interest
from app.reference import district, industry, label
from app.services import audit
from app.services.errors import ValidationFailed
from app.services.exports.spreadsheet import Column, write_table
from app.services.formatting import TZ, local, today
from app.services.interests.workspace import days_in_stage
from app.services.needs import record_contact_reads
from app.services.permissions import can, require
from app.services.search.interests import InterestFilters, describe, reader_side, search_interests

EXPORT_MAX_ROWS = 5000  # rows of one file (INTEREST_EXPORT_MAX)
EXPORT_ACTION = "interest.export"


@dataclass(frozen=True)
class Sheet:
    content: bytes
    rows: int
    filename: str


def columns(side: str | None) -> tuple[Column, ...]:
    """The sheet's columns for the reader's side: an institution is not told its own name,
    an owner not its own; the other side's contact is the last pair."""
    cols = [
        Column("project", _("Project name"), "text", 32),
        Column("code", _("Project code"), "text", 24),
        Column("district", _("District"), "text", 12),
        Column("industry", _("Industry"), "text", 18),
    ]
    if side != "owner":
        cols.append(Column("owner", _("Owner"), "text", 28))
    cols.append(Column("need_amount", _("Amount sought (10k yuan)"), "money", 16))
    if side != "institution":
        cols.append(Column("institution", _("Institution"), "text", 24))
    cols += [
        Column("instrument", _("Financing instrument"), "text", 14),
        Column("product", _("Product"), "text", 16),
        Column("amount", _("Indicative amount (万元)"), "money", 16),
        Column("rate", _("Rate (% a year)"), "rate", 10),
        Column("term", _("Term (months)"), "int", 10),
        Column("valid_until", _("Valid until"), "date", 12),
        Column("status", _("Status"), "text", 12),
        Column("expressed", _("Expressed on"), "date", 12),
        Column("days", _("Days in this stage"), "int", 10),
        Column("credit_amount", _("Credit amount (万元)"), "money", 16),
        Column("credit_date", _("Credit date"), "date", 12),
        Column("disbursed", _("Disbursed in total (万元)"), "money", 16),
        Column("updated", _("Last changed"), "datetime", 19),
    ]
    if side != "owner":
        cols += [Column("owner_contact", _("Owner's contact person"), "text", 12),
                 Column("owner_phone", _("Owner's contact phone"), "text", 16)]
    if side != "institution":
        cols += [Column("manager", _("Institution's account manager"), "text", 12),
                 Column("manager_contact", _("Institution's contact"), "text", 24)]
    return tuple(cols)


def _row(interest: Interest, contact: bool) -> dict:
    need, project = interest.need, interest.need.project
    place, trade = district(project.district_code), industry(project.industry_code)
    manager = interest.created_by
    return {
        "project": project.name, "code": project.code,
        "district": place.label if place else project.district_code,
        "industry": trade.label if trade else project.industry_code,
        "owner": project.org.name, "need_amount": need.amount, "institution": interest.org.name,
        "instrument": label(interest.instrument), "product": interest.product_name,
        "amount": interest.amount, "rate": interest.rate, "term": interest.term_months,
        "valid_until": interest.valid_until, "status": label(interest.status),
        "expressed": local(interest.created_at).date() if interest.created_at else None,
        "days": days_in_stage(interest),
        "credit_amount": interest.credit_amount, "credit_date": interest.credit_date,
        "disbursed": interest.disbursed_amount, "updated": interest.updated_at,
        "owner_contact": need.contact_name if contact else None,
        "owner_phone": need.contact_phone if contact else None,
        "manager": manager.name if manager else None,
        "manager_contact": (manager.phone or manager.email) if manager else None,
    }


def export_interests(user, f: InterestFilters) -> Sheet:
    """The workbook of the interests `user` sees that match `f`, in the list's order, and
    the audit entries of the export (and of the contacts it shows). The caller commits.
    More than INTEREST_EXPORT_MAX interests are refused (ValidationFailed): narrow the filters."""
    require(user, "list_interests", user.org)
    from openpyxl import Workbook

    max_rows = current_app.config.get("INTEREST_EXPORT_MAX", EXPORT_MAX_ROWS)
    query = search_interests(user, f).options(joinedload(Interest.created_by)).limit(max_rows + 1)
    interests = list(db.session.scalars(query).unique())
    if len(interests) > max_rows:
        raise ValidationFailed(errors={"export": [_l("These filters select more than %(max)d financing "
                                                     "interests: narrow them and export again.", max=max_rows)]})
    side = reader_side(user)
    shown = {i.need_id: i.need for i in interests}
    contacts = {need_id for need_id, need in shown.items() if side != "owner" and can(user, "view_contact", need)}
    rows = [_row(i, i.need_id in contacts) for i in interests]
    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Financing interests"))[:31]
    words = describe(f, user)
    exported = datetime.now(TZ)
    title = _("Financing interests (filters: %(filters)s; exported %(at)s)",
              filters=words or _("All"), at=f"{exported:%Y-%m-%d %H:%M}")
    write_table(ws, columns(side), rows, title=title)
    out = io.BytesIO()
    wb.save(out)
    record_contact_reads([shown[n] for n in sorted(contacts)], by=user, via="interests.xlsx")
    audit.record(EXPORT_ACTION, by=user, object_type=Interest.__tablename__,
                 after={"rows": len(rows), "format": "xlsx"}, note=words or None)
    return Sheet(out.getvalue(), len(rows), f"{_('Financing interests')}_{today():%Y%m%d}.xlsx")
