"""Published list editions: /api/v1/editions and /api/v1/editions/<year>-<period>.

Readable without a token (the public sees published editions without contact details);
with a token, contacts are filled in for those allowed to see them (verified institution
users, experts, admins, and the need's own owner) and each such answer is audited.
"""

import marshmallow as ma
from flask import g, request
from flask_smorest import Blueprint
from marshmallow import fields, validate

from app.api.auth import authenticate
from app.api.pagination import paginate
from app.api.schemas import AmountRangeArgs, PageArgsSchema, Text, page_schema
from app.extensions import db
from app.models import EditionStatus, ItemMarker
from app.reference import Category, Instrument, Level
from app.services import audit
from app.services import editions as svc
from app.services.errors import ValidationFailed
from app.services.permissions import can

bp = Blueprint("api_editions", __name__, url_prefix="",
               description="Published list editions (清单期次) and their items")


@bp.before_request
def optional_token():
    """A token is optional here; a wrong one is still refused (401)."""
    if request.headers.get("Authorization"):
        return authenticate()
    g.api_user = None
    return None


def _values(enum_cls, **kwargs):
    """A stored enum value (snapshots hold plain strings), documented with its values."""
    return fields.String(metadata={"enum": [m.value for m in enum_cls]}, **kwargs)


class EditionSchema(ma.Schema):
    key = fields.String(required=True, metadata={"example": "2026-6"})
    year = fields.Integer(required=True)
    period = fields.Integer(required=True, metadata={"description": "1 = Jan–Feb … 6 = Nov–Dec"})
    revision = fields.Integer(required=True, metadata={"description": "1 = original; corrections + 1"})
    title_zh = fields.String(required=True, metadata={"example": "2026年第6期（11–12月）"})
    status = fields.Enum(EditionStatus, by_value=True, required=True)
    published_at = fields.DateTime(allow_none=True)
    correction_note = fields.String(allow_none=True, metadata={"description": "更正说明"})


class EditionItemSchema(ma.Schema):
    """The frozen snapshot of one item (see app/services/editions.py)."""

    seq = fields.Integer(required=True)
    marker = _values(ItemMarker, required=True)
    need_id = fields.Integer(required=True)
    project_id = fields.Integer(required=True)
    project_name = fields.String(required=True)
    project_code = fields.String(required=True)
    owner_org = fields.String(required=True)
    level = _values(Level, required=True)
    category = _values(Category, required=True)
    industry_code = fields.String(required=True)
    industry_name_zh = fields.String(allow_none=True)
    district_code = fields.String(required=True)
    district_name_zh = fields.String(allow_none=True)
    zone_code = fields.String(allow_none=True)
    zone_name_zh = fields.String(allow_none=True)
    stage = fields.String(required=True)
    reserve_substage = fields.String(allow_none=True)
    total_investment = fields.String(required=True, metadata={"example": "150000.00"})
    annual_planned_investment = fields.String(required=True)
    amount = fields.String(required=True, metadata={"description": "万元", "example": "50000.00"})
    funds_secured = fields.String(required=True)
    instruments = fields.List(_values(Instrument), required=True)
    term_months = fields.Integer(required=True)
    cost_ceiling = fields.String(allow_none=True)
    use_of_funds = fields.String(required=True)
    credit_enhancements = fields.List(fields.String(), required=True)
    planned_start = fields.String(allow_none=True)
    planned_completion = fields.String(allow_none=True)
    description = fields.String(required=True)
    is_priority = fields.Boolean(required=True)
    contact_name = fields.String(allow_none=True, metadata={"description": "null unless allowed"})
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)


EditionPageSchema = page_schema(EditionSchema, "EditionPage")
EditionItemPageSchema = page_schema(EditionItemSchema, "EditionItemPage")


class EditionDetailSchema(EditionSchema):
    items = fields.Nested(EditionItemPageSchema, required=True)


class EditionItemFilterSchema(PageArgsSchema, AmountRangeArgs):
    rev = fields.Integer(validate=validate.Range(min=1, max=1000),
                         metadata={"description": "A revision; the latest published one by default"})
    district = Text(validate=validate.Length(max=12))
    category = fields.Enum(Category, by_value=True)
    industry = Text(validate=validate.Length(max=4))
    level = fields.Enum(Level, by_value=True)
    instrument = fields.Enum(Instrument, by_value=True)
    marker = fields.Enum(ItemMarker, by_value=True)
    q = Text(validate=validate.Length(max=100),
             metadata={"description": "Substring of the project name, owner or description"})
    sort = fields.String(validate=validate.OneOf(tuple(svc.READER_SORTS)))


def _edition_dict(edition) -> dict:
    return {"key": edition.key, "year": edition.year, "period": edition.period,
            "revision": edition.revision, "title_zh": edition.title_zh, "status": edition.status,
            "published_at": edition.published_at, "correction_note": edition.correction_note}


# Open to everyone: a token only adds contact details.
PUBLIC = [{}, {"bearerAuth": []}]


@bp.get("/editions")
@bp.doc(security=PUBLIC)
@bp.arguments(PageArgsSchema, location="query", as_kwargs=True)
@bp.response(200, EditionPageSchema)
def list_editions(page, per_page):
    """Published editions, newest first (administrators also see drafts)."""
    result = paginate(svc.list_editions(g.api_user), page=page, per_page=per_page)
    result["items"] = [_edition_dict(e) for e in result["items"]]
    return result


@bp.get("/editions/<int:year>-<int:period>")
@bp.doc(security=PUBLIC)
@bp.arguments(EditionItemFilterSchema, location="query", as_kwargs=True)
@bp.response(200, EditionDetailSchema)
def get_edition(year, period, page, per_page, rev=None, **filters):
    """One edition (the latest published revision, or ?rev=) and a page of its items,
    filtered and sorted like the web page."""
    user = g.api_user
    edition = svc.get_edition(year, period, user=user, revision=rev)
    args = {k: (v.value if hasattr(v, "value") else str(v)) for k, v in filters.items() if v is not None}
    chosen = svc.Filters.from_args(args)
    if chosen.errors:  # e.g. a district that does not exist: the page would say so too
        raise ValidationFailed(errors=chosen.errors)
    items = paginate(svc.search_items(edition, chosen), page=page, per_page=per_page)
    rows, shown = [], []
    for item in items["items"]:
        data = svc.item_data(item)
        if user is not None and can(user, "view_contact", item):
            shown.append(item.seq)
            rows.append(data)
        else:
            rows.append(svc.public_data(data))
    if shown:
        audit.record("edition_item.view_contact", edition, by=user,
                     note=f"API {edition.key} r{edition.revision} #{','.join(map(str, shown))}")
        db.session.commit()
    return {**_edition_dict(edition), "items": {**items, "items": rows}}
