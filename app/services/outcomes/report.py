"""The outcomes as the pages and the spreadsheet show them: labelled rows of a breakdown."""

import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import reference
from app.extensions import db
from app.models import Organization
from app.services.outcomes import figures as f

# dimension -> its name; need-side dimensions carry the listed count and the rates.
DIMENSIONS = {
    "district": _l("District"),
    "industry": _l("Industry"),
    "level": _l("Level"),
    "category": _l("Category"),
    "edition": _l("List edition"),
    "institution_kind": _l("Institution type"),
    "institution": _l("Institution"),
    "instrument": _l("Financing instrument"),
}
NEED_SIDE = ("district", "industry", "level", "category", "edition")


@dataclass
class Row:
    label: str
    figures: object  # f.Figures (need side) or f.SideFigures (interest side)


def _place(code):
    place = reference.district(code)
    return place.label if place else (code or "—")


def _industry(code):
    industry = reference.industry(code)
    return industry.label if industry else (code or "—")


def breakdown(dimension: str) -> list[Row]:
    """The rows of `dimension` (a key of DIMENSIONS), largest first."""
    if dimension == "edition":
        return [Row(_("%(year)s No. %(period)s", year=e.year, period=e.period), figs)
                for e, figs in f.by_edition()]
    if dimension in NEED_SIDE:
        groups = f.by_need_dimension(dimension)
        name = {"district": _place, "industry": _industry}.get(dimension, reference.label)
        rows = [Row(name(key), figs) for key, figs in groups.items()]
        return sorted(rows, key=lambda r: (-r.figures.listed, -r.figures.contacted, r.label))
    groups = f.by_interest_dimension(dimension)
    if dimension == "institution":
        names = dict(db.session.execute(sa.select(Organization.id, Organization.name)
                                        .where(Organization.id.in_(list(groups)))).all()) if groups else {}
        rows = [Row(names.get(key, "—"), figs) for key, figs in groups.items()]
    else:
        rows = [Row(reference.label(key), figs) for key, figs in groups.items()]
    return sorted(rows, key=lambda r: (-r.figures.interests, r.label))


def outcomes_xlsx(dimension: str) -> bytes:
    """The totals and the breakdown by `dimension` as a workbook (typed cells)."""
    from openpyxl import Workbook

    from app.services.exports.spreadsheet import Column, write_table

    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Financing outcomes"))[:31]
    total = f.totals()
    need_cols = (
        Column("label", str(DIMENSIONS[dimension]) if dimension in DIMENSIONS else "", "text", 24),
        Column("listed", _("Listed needs"), "int", 10),
        Column("listed_amount", _("Amount sought (10k yuan)"), "money", 16),
        Column("followed", _("Followed"), "int", 10),
        Column("interested", _("With interest"), "int", 10),
        Column("contacted", _("Contacted"), "int", 10),
        Column("contact_rate", _("Contact rate (%)"), "rate", 12),
        Column("credited", _("Credit approved"), "int", 10),
        Column("credit_amount", _("Credit (10k yuan)"), "money", 16),
        Column("credit_rate", _("Credit rate (%)"), "rate", 12),
        Column("funded", _("Disbursed"), "int", 10),
        Column("disbursed_amount", _("Disbursed (10k yuan)"), "money", 16),
    )

    side_cols = (
        Column("label", str(DIMENSIONS.get(dimension, "")), "text", 28),
        Column("needs", _("Needs"), "int", 10),
        Column("interests", _("Interests"), "int", 10),
        Column("contacted", _("Contacted"), "int", 10),
        Column("credited", _("Credit approved"), "int", 10),
        Column("credit_amount", _("Credit (10k yuan)"), "money", 16),
        Column("funded", _("Disbursed"), "int", 10),
        Column("disbursed_amount", _("Disbursed (10k yuan)"), "money", 16),
    )
    cols = need_cols if dimension in NEED_SIDE else side_cols

    def row(label, figs):  # every column but the label is the figure of the same name
        return {"label": label, **{c.key: getattr(figs, c.key) for c in cols[1:]}}

    body = [row(r.label, r.figures) for r in breakdown(dimension)]
    if dimension in NEED_SIDE:
        body.append(row(_("Total"), total))
    write_table(ws, cols, body, title=_("Financing outcomes by %(dimension)s", dimension=DIMENSIONS[dimension]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
