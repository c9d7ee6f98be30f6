"""Marshmallow schemas of the JSON API: what goes in (validated types, lengths and
formats) and what comes out. Rules that span objects stay in the services.

Amounts are decimal strings with two places ("1200.50", 万元), never floats; enums
are their stored values; datetimes are ISO 8601 in UTC with their offset.
"""

import re
from decimal import Decimal

import marshmallow as ma
from flask import g, request
from marshmallow import fields, validate

from app.models import NeedStatus, OrgStatus, Role, UserStatus
from app.reference import Category, CreditEnhancement, Instrument, Level, OrgKind, ReserveSubstage, Stage
from app.services.params import MAX_ID, MAX_PAGE, amount_range_error
from app.services.permissions import can
from app.services.search import PROJECT_SORTS, NeedFilters

MONEY_PATTERN = r"^\d{1,14}(\.\d{1,2})?$"
RATE_PATTERN = r"^\d{1,3}(\.\d{1,2})?$"


class Text(fields.String):
    """A string without NUL characters (PostgreSQL refuses them), trimmed of nothing."""

    default_error_messages = {"nul": "Text may not contain NUL characters."}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in value:
            raise self.make_error("nul")
        return value


class DecimalString(fields.Field):
    """A decimal number written as a JSON string with at most two decimals; dumped with
    exactly two ("50000.00"). Documented as {type: string, pattern}."""

    default_error_messages = {"invalid": "Enter a decimal number as a string, e.g. \"1200.50\"."}

    def __init__(self, pattern: str = MONEY_PATTERN, **kwargs):
        self.pattern = pattern
        metadata = {"pattern": pattern, "example": "1200.50", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return f"{Decimal(value):.2f}"

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(self.pattern, value):
            raise self.make_error("invalid")
        return Decimal(value)


def _enum(enum_cls, **kwargs):
    return fields.Enum(enum_cls, by_value=True, **kwargs)


class ContactString(fields.String):
    """A need's contact detail: null unless the caller may see contacts of this need."""

    action = "view_contact"

    def serialize(self, attr, obj, accessor=None, **kwargs):
        if not can(g.get("api_user"), self.action, obj):
            return None
        return super().serialize(attr, obj, accessor, **kwargs)


class HistoryString(ContactString):
    """The reviewer's comment: null unless the caller may see the need's review history
    (its owner and admins), as on the need's page."""

    action = "view_history"


# ---- errors and pages ---------------------------------------------------------------------
class ErrorBodySchema(ma.Schema):
    status = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    code = fields.String(required=True, metadata={"description": "Machine-readable error code, "
                                                  "e.g. not_found, stale_edit, validation_failed"})
    message = fields.String(required=True, metadata={"description": "A message for people"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Messages per field (validation errors)"})


class ErrorSchema(ma.Schema):
    """The API's one error shape (app/errors.py renders it)."""

    error = fields.Nested(ErrorBodySchema, required=True)


class PageArgsSchema(ma.Schema):
    """A page beyond the last one answers an empty `items` with the real `total` and
    `pages` (the API does not move the caller to another page than the one asked for)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "From 1; past the last page: no items, "
                                                   "with the real total and pages"})
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class AmountRangeArgs(ma.Schema):
    """min_amount and max_amount (万元): an upper amount below the lower one is 422."""

    min_amount = DecimalString()
    max_amount = DecimalString()

    @ma.validates_schema
    def _range(self, data, **kwargs):
        message = amount_range_error(data.get("min_amount"), data.get("max_amount"))
        if message is not None:
            raise ma.ValidationError(str(message), field_name="max_amount")


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The pagination envelope {"items", "page", "per_page", "total", "pages"}."""
    return type(name, (ma.Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
        "total": fields.Integer(required=True),
        "pages": fields.Integer(required=True),
    })


# ---- organisations and users ----------------------------------------------------------------
class OrgSummarySchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    short_name = fields.String(allow_none=True)


class OrgSchema(OrgSummarySchema):
    credit_code = fields.String(required=True)
    kind = _enum(OrgKind, required=True)
    status = _enum(OrgStatus, required=True)
    district_code = fields.String(allow_none=True)


class MeSchema(ma.Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    role = _enum(Role, required=True)
    status = _enum(UserStatus, required=True)
    is_verified = fields.Boolean(required=True)
    locale = fields.String(required=True)
    org = fields.Nested(OrgSchema, required=True)


# ---- projects ---------------------------------------------------------------------------------
class ProjectSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    code = fields.String(required=True)
    level = _enum(Level, required=True)
    category = _enum(Category, required=True)
    industry_code = fields.String(required=True)
    district_code = fields.String(required=True)
    zone_code = fields.String(allow_none=True)
    total_investment = DecimalString(required=True)
    annual_planned_investment = DecimalString(required=True)
    stage = _enum(Stage, required=True)
    reserve_substage = _enum(ReserveSubstage, allow_none=True)
    planned_start = fields.Date(allow_none=True)
    planned_completion = fields.Date(allow_none=True)
    actual_start = fields.Date(allow_none=True)
    actual_completion = fields.Date(allow_none=True)
    is_priority = fields.Boolean(required=True)
    description = fields.String(required=True)
    version = fields.Integer(required=True)
    org = fields.Nested(OrgSummarySchema, required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class ServiceRulesSchema(ma.Schema):
    """An input schema that, when some fields are refused or missing, also runs the
    service's rules over the fields that passed, so one answer lists every problem (as
    the site's forms do: app.forms.validate_all). A refused or missing field keeps only
    the schema's message. Valid input goes on to the service as before."""

    def service_check(self, data: dict) -> None:
        """Raise services.errors.ValidationFailed for the data's rule violations."""
        raise NotImplementedError

    @ma.validates_schema(skip_on_field_errors=False, pass_original=True)
    def _service_rules(self, data, original, *, partial=None, **kwargs):
        if partial or not isinstance(original, dict):
            return
        refused = set(original) - set(data)
        missing = {name for name, f in self.fields.items() if f.required and name not in original}
        if not refused and not missing:
            return
        from app.services.errors import ValidationFailed

        try:
            self.service_check(data)
        except ValidationFailed as exc:
            errors = {name: [str(m) for m in messages] for name, messages in exc.errors.items()
                      if name not in refused | missing}
            if errors:
                raise ma.ValidationError(errors) from None


class ProjectInputSchema(ServiceRulesSchema):
    name = Text(required=True, validate=validate.Length(min=1, max=120))
    code = Text(required=True, validate=validate.Length(max=24),
                metadata={"example": "2024-510112-48-01-012345"})
    level = _enum(Level, required=True)
    category = _enum(Category, required=True)
    industry_code = Text(required=True, validate=validate.Length(max=4),
                         metadata={"description": "GB/T 4754-2017 division, e.g. 48"})
    district_code = Text(required=True, validate=validate.Length(max=12),
                         metadata={"description": "区(市)县 code, e.g. 510112"})
    zone_code = Text(allow_none=True, validate=validate.Length(max=12))
    total_investment = DecimalString(required=True)
    annual_planned_investment = DecimalString(required=True)
    stage = _enum(Stage, required=True)
    reserve_substage = _enum(ReserveSubstage, allow_none=True)
    planned_start = fields.Date(allow_none=True)
    planned_completion = fields.Date(allow_none=True)
    actual_start = fields.Date(allow_none=True)
    actual_completion = fields.Date(allow_none=True)
    is_priority = fields.Boolean()
    description = Text(allow_none=True, validate=validate.Length(max=20000))

    def service_check(self, data: dict) -> None:
        from app.services import projects

        user = g.get("api_user")
        if user is not None and can(user, "create_project", user.org):
            projects.validate_project(data)


PROJECT_INPUT_FIELDS = tuple(ProjectInputSchema._declared_fields)


class ProjectPatchSchema(ProjectInputSchema):
    version = fields.Integer(required=True, strict=True,
                             metadata={"description": "The version you read; a newer one answers 409"})


class ProjectFilterSchema(PageArgsSchema):
    """The project list's filters: the same as the site's (services/search/projects.py)."""

    q = Text(validate=validate.Length(max=100), metadata={"description": "Keyword in name or code"})
    level = _enum(Level)
    category = _enum(Category)
    district = Text(validate=validate.Length(max=12), metadata={"description": "区(市)县 code, e.g. 510112"})
    stage = _enum(Stage)
    industry = Text(validate=validate.Length(max=4), metadata={"description": "GB/T 4754-2017 division, e.g. 48"})
    sort = fields.String(validate=validate.OneOf(tuple(PROJECT_SORTS)), metadata={
        "description": "updated (default: last changed first), newest, amount_desc, amount_asc "
                       "(total investment)"})


# ---- financing needs -------------------------------------------------------------------------
class ProjectSummarySchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    code = fields.String(required=True)
    level = _enum(Level, required=True)
    district_code = fields.String(required=True)
    org = fields.Nested(OrgSummarySchema, required=True)


class NeedSchema(ma.Schema):
    id = fields.Integer(required=True)
    project_id = fields.Integer(required=True)
    project = fields.Nested(ProjectSummarySchema, required=True)
    status = _enum(NeedStatus, required=True)
    amount = DecimalString(required=True)
    amount_open = DecimalString(required=True, metadata={"description": "Amount less funds secured"})
    instruments = fields.List(_enum(Instrument), required=True)
    term_months = fields.Integer(required=True)
    cost_ceiling = DecimalString(RATE_PATTERN, allow_none=True, metadata={"description": "% a year"})
    use_of_funds = fields.String(required=True)
    credit_enhancements = fields.List(_enum(CreditEnhancement), attribute="enhancements", required=True)
    funds_secured = DecimalString(required=True)
    contact_name = ContactString(allow_none=True, metadata={"description": "null unless you may see contacts"})
    contact_phone = ContactString(allow_none=True)
    contact_email = ContactString(allow_none=True)
    review_comment = HistoryString(allow_none=True, metadata={"description": "null unless you may see "
                                                                   "the review history"})
    owner_reply = HistoryString(allow_none=True, metadata={"description": "The owner's reply to the "
                                                                "return comment, given on resubmission"})
    version = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)
    submitted_at = fields.AwareDateTime(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)


class NeedInputSchema(ServiceRulesSchema):
    amount = DecimalString(required=True)
    instruments = fields.List(_enum(Instrument), required=True, validate=validate.Length(min=1, max=20))
    term_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=600))
    cost_ceiling = DecimalString(RATE_PATTERN, allow_none=True, metadata={"example": "4.20"})
    use_of_funds = Text(required=True, validate=validate.Length(min=1, max=5000))
    credit_enhancements = fields.List(_enum(CreditEnhancement), validate=validate.Length(max=10))
    funds_secured = DecimalString(allow_none=True)
    contact_name = Text(required=True, validate=validate.Length(min=1, max=60))
    contact_phone = Text(required=True, validate=validate.Length(min=1, max=40))
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))

    def service_check(self, data: dict) -> None:
        from app.models import Project
        from app.services import needs
        from app.services.errors import NotFound
        from app.services.loader import get_visible

        try:
            project = get_visible(Project, (request.view_args or {}).get("project_id"), g.get("api_user"))
        except NotFound:
            return  # the view answers 404
        if can(g.get("api_user"), "create_need", project):
            needs.validate_need(data, project)


NEED_INPUT_FIELDS = tuple(NeedInputSchema._declared_fields)


class NeedPatchSchema(NeedInputSchema):
    version = fields.Integer(required=True, strict=True,
                             metadata={"description": "The version you read; a newer one answers 409"})


class NeedFilterSchema(PageArgsSchema, AmountRangeArgs):
    """The need list's filters: the same as the site's (services/search/needs.py)."""

    q = Text(validate=validate.Length(max=100), metadata={"description": "Keyword in the project's name or code"})
    status = _enum(NeedStatus)
    instrument = _enum(Instrument)
    district = Text(validate=validate.Length(max=12), metadata={"description": "区(市)县 code, e.g. 510112"})
    level = _enum(Level)
    project_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    sort = fields.String(validate=validate.OneOf(tuple(NeedFilters.SORTS)), metadata={
        "description": "updated (default: last changed first), newest, amount_desc, amount_asc"})


class CommentSchema(ma.Schema):
    comment = Text(required=True, validate=validate.Length(max=5000),
                   metadata={"description": "What the owner should change"})


class OptionalCommentSchema(ma.Schema):
    comment = Text(allow_none=True, validate=validate.Length(max=5000))


class ReplySchema(ma.Schema):
    reply = Text(allow_none=True, validate=validate.Length(max=2000),
                 metadata={"description": "Resubmitting after a return: what was changed in answer "
                                          "to the reviewer's comment (optional)"})


class ReasonSchema(ma.Schema):
    reason = Text(allow_none=True, validate=validate.Length(max=5000))


def filters_or_422(filters_cls, args: dict):
    """The service's filter object from the loaded query string. What the schema let
    through but the filters refuse (an unknown district code) answers 422 with the
    field's message, as an invalid type does: the API never ignores a filter."""
    from app.services.errors import ValidationFailed

    f = filters_cls.from_args(args)
    if f.errors:
        raise ValidationFailed(errors={k: [str(m) for m in v] for k, v in f.errors.items()})
    return f
