"""The API's schemas of follows, interests, disbursements and messages."""

import marshmallow as ma
from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from app.api.schemas import RATE_PATTERN, DecimalString, OrgSummarySchema, PageArgsSchema, Text, _enum
from app.models import InterestStatus, MessageSide, RejectionReason
from app.reference import Instrument
from app.services.params import MAX_ID
from app.services.search.interests import INTEREST_SORTS, STATES, VALIDITY_LABELS


class DisbursementSchema(ma.Schema):
    id = fields.Integer(required=True)
    amount = DecimalString(required=True)
    disbursed_on = fields.Date(required=True)
    note = fields.String(allow_none=True)


class InterestSchema(ma.Schema):
    id = fields.Integer(required=True)
    need_id = fields.Integer(required=True)
    project_name = fields.Function(lambda i: i.need.project.name, required=True)
    org = fields.Nested(OrgSummarySchema, required=True, metadata={"description": "The institution"})
    status = _enum(InterestStatus, required=True)
    instrument = _enum(Instrument, required=True)
    product_name = fields.String(allow_none=True)
    amount = DecimalString(required=True, metadata={"description": "Indicative amount, 万元"})
    rate = DecimalString(RATE_PATTERN, allow_none=True, metadata={"description": "% a year"})
    term_months = fields.Integer(allow_none=True)
    conditions = fields.String(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    message = fields.String(allow_none=True)
    credit_amount = DecimalString(allow_none=True)
    credit_date = fields.Date(allow_none=True)
    credit_conditions = fields.String(allow_none=True)
    disbursed_amount = DecimalString(required=True)
    rejection_reason = _enum(RejectionReason, allow_none=True)
    rejection_note = fields.String(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    withdrawal_note = fields.String(allow_none=True)
    reconfirm_since = fields.DateTime(allow_none=True)
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class InterestDetailSchema(InterestSchema):
    disbursements = fields.List(fields.Nested(DisbursementSchema), required=True)


class InterestFilterSchema(PageArgsSchema):
    """The interest list's filters: the same as the site's (services/search/interests.py)."""

    q = Text(validate=validate.Length(max=100), metadata={"description": "Keyword in the project's name or code"})
    status = _enum(InterestStatus)
    district = Text(validate=validate.Length(max=12), metadata={"description": "区(市)县 code, e.g. 510112"})
    instrument = _enum(Instrument)
    state = fields.String(validate=validate.OneOf(tuple(STATES)), metadata={
        "description": "live (in the pipeline) or closed (declined, withdrawn, rejected)"})
    validity = fields.String(validate=validate.OneOf(tuple(VALIDITY_LABELS)), metadata={
        "description": "expiring (validity ends within 30 days) or expired"})
    action = fields.String(validate=validate.OneOf(("1",)), metadata={
        "description": "1: only those waiting for the caller's side (待我方处理)"})
    need_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    org_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "The institution (owners and administrators)"})
    sort = fields.String(validate=validate.OneOf(tuple(INTEREST_SORTS)), metadata={
        "description": ", ".join(INTEREST_SORTS) + " (default: updated, last changed first)"})


class InterestInputSchema(ma.Schema):
    need_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    instrument = _enum(Instrument, required=True)
    product_name = Text(allow_none=True, validate=validate.Length(max=120))
    amount = DecimalString(required=True)
    rate = DecimalString(RATE_PATTERN, allow_none=True)
    term_months = fields.Integer(allow_none=True, strict=True)
    conditions = Text(allow_none=True, validate=validate.Length(max=2000))
    valid_until = fields.Date(allow_none=True)
    message = Text(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer(allow_none=True, metadata={
        "description": "The live interest's version you read; omit for a first expression"})


class NoteSchema(ma.Schema):
    note = Text(allow_none=True, validate=validate.Length(max=2000))


class DeclineSchema(ma.Schema):
    reason = Text(required=True, validate=validate.Length(max=2000))


class RejectSchema(ma.Schema):
    reason = _enum(RejectionReason, required=True)
    note = Text(allow_none=True, validate=validate.Length(max=2000))


class CreditSchema(ma.Schema):
    credit_amount = DecimalString(required=True)
    credit_date = fields.Date(required=True)
    credit_conditions = Text(allow_none=True, validate=validate.Length(max=2000))


class DisbursementInputSchema(ma.Schema):
    amount = DecimalString(required=True)
    disbursed_on = fields.Date(required=True)
    note = Text(allow_none=True, validate=validate.Length(max=200))


class MessageFileSchema(ma.Schema):
    """A file of a message; `url` downloads it (GET, the same token)."""

    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    mimetype = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes"})
    url = fields.Function(lambda a: url_for("api_interests.get_message_file", interest_id=a.message.interest_id,
                                            attachment_id=a.id), required=True)


class MessageSchema(ma.Schema):
    id = fields.Integer(required=True)
    side = _enum(MessageSide, required=True)
    author = fields.Function(lambda m: m.author.name, required=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    files = fields.List(fields.Nested(MessageFileSchema), required=True, attribute="attachments")


class MessageInputSchema(ma.Schema):
    body = Text(required=True, validate=validate.Length(min=1, max=4000))


class MessageUploadSchema(ma.Schema):
    """A message with files, as multipart/form-data: the text (optional when a file comes
    with it) and one part named `file` per file."""

    body = Text(validate=validate.Length(max=4000))
    file = fields.List(Upload(), metadata={
        "description": "PDF, Word, Excel, PowerPoint, PNG or JPEG, each at most 20 MB; the type is "
                       "read from the content, which must agree with the name's extension"})
