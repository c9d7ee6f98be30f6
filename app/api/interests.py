"""/api/v1/interests: the institution's (or the owner's, or every) financing interests,
expressing one, its pipeline steps, disbursements and messages with their files; the
same services, filters, order and upload rules as the site."""

from flask import current_app, request, send_file
from flask_smorest import Blueprint

from app.api.auth import authenticate, current_user
from app.api.interest_schemas import (
    CreditSchema,
    DeclineSchema,
    DisbursementInputSchema,
    DisbursementSchema,
    InterestDetailSchema,
    InterestFilterSchema,
    InterestInputSchema,
    InterestSchema,
    MessageInputSchema,
    MessageSchema,
    MessageUploadSchema,
    NoteSchema,
    RejectSchema,
)
from app.api.pagination import paginate
from app.api.schemas import filters_or_422, page_schema
from app.extensions import db
from app.models import Attachment, FinancingNeed, Interest
from app.services import attachments, interests
from app.services.attachments import MIMETYPES
from app.services.errors import NotFound
from app.services.loader import get_visible
from app.services.search import InterestFilters, search_interests

bp = Blueprint("api_interests", __name__, url_prefix="", description="Financing interests (融资意向)")
bp.before_request(authenticate)

InterestPageSchema = page_schema(InterestSchema, "InterestPage")


def _interest(interest_id: int) -> Interest:
    return get_visible(Interest, interest_id, current_user())


@bp.get("/interests")
@bp.arguments(InterestFilterSchema, location="query", as_kwargs=True)
@bp.response(200, InterestPageSchema)
def list_interests(page, per_page, **args):
    """The interests the caller sees (an institution: its own; an owner: those in its needs;
    administrators: all), last changed first: the filters and orders of the site's list."""
    return paginate(search_interests(current_user(), filters_or_422(InterestFilters, args)),
                    page=page, per_page=per_page)


@bp.get("/interests/<int:interest_id>")
@bp.response(200, InterestDetailSchema)
def get_interest(interest_id):
    """One interest with its disbursements."""
    return _interest(interest_id)


@bp.post("/interests")
@bp.arguments(InterestInputSchema)
@bp.response(201, InterestDetailSchema)
def express(data):
    """Express the institution's interest in a listed need; if it has a live one, that one
    is updated (a retried request never makes two)."""
    need = get_visible(FinancingNeed, data.pop("need_id"), current_user())
    version = data.pop("version", None)
    interest = interests.express_interest(current_user(), need, data, version=version)
    db.session.commit()
    return interest


def _act(interest_id: int, operation):
    """One move on the caller's interest through its service, committed: what it returns."""
    result = operation(current_user(), _interest(interest_id))
    db.session.commit()
    return result


def _step(data, interest_id, action):
    return _act(interest_id, lambda user, interest: interests.step(user, interest, action, note=data.get("note")))


@bp.post("/interests/<int:interest_id>/contact")
@bp.arguments(NoteSchema, required=False)
@bp.response(200, InterestDetailSchema)
def contact(data, interest_id):
    """The institution records its first contact with the owner (an optional note)."""
    return _step(data, interest_id, "contact")


@bp.post("/interests/<int:interest_id>/start_due_diligence")
@bp.arguments(NoteSchema, required=False)
@bp.response(200, InterestDetailSchema)
def start_due_diligence(data, interest_id):
    """The institution starts its due diligence (an optional note)."""
    return _step(data, interest_id, "start_due_diligence")


@bp.post("/interests/<int:interest_id>/withdraw")
@bp.arguments(NoteSchema, required=False)
@bp.response(200, InterestDetailSchema)
def withdraw(data, interest_id):
    """The institution withdraws its interest (an optional note)."""
    return _step(data, interest_id, "withdraw")


@bp.post("/interests/<int:interest_id>/approve")
@bp.arguments(CreditSchema)
@bp.response(200, InterestDetailSchema)
def approve(data, interest_id):
    """授信: the institution records its credit approval (amount, date, conditions)."""
    return _act(interest_id, lambda user, interest: interests.approve_credit(user, interest, data))


@bp.post("/interests/<int:interest_id>/reject")
@bp.arguments(RejectSchema)
@bp.response(200, InterestDetailSchema)
def reject(data, interest_id):
    """The institution refuses credit, with a reason (a note is required for "other")."""
    return _act(interest_id, lambda user, interest: interests.reject(user, interest, reason=data["reason"],
                                                                      note=data.get("note")))


@bp.post("/interests/<int:interest_id>/decline")
@bp.arguments(DeclineSchema)
@bp.response(200, InterestDetailSchema)
def decline(data, interest_id):
    """The need's owner declines the interest, with a reason."""
    return _act(interest_id, lambda user, interest: interests.decline(user, interest, reason=data["reason"]))


@bp.post("/interests/<int:interest_id>/reconfirm")
@bp.response(200, InterestDetailSchema)
def reconfirm(interest_id):
    """The institution re-confirms its interest after a change of the need's terms."""
    return _act(interest_id, interests.reconfirm)


@bp.get("/interests/<int:interest_id>/disbursements")
@bp.response(200, DisbursementSchema(many=True))
def list_disbursements(interest_id):
    """The tranches disbursed, oldest first."""
    return _interest(interest_id).disbursements


@bp.post("/interests/<int:interest_id>/disbursements")
@bp.arguments(DisbursementInputSchema)
@bp.response(201, DisbursementSchema)
def disburse(data, interest_id):
    """放款: one tranche. 422 if all institutions together would disburse more than the
    amount sought without the owner's acceptance, or more than this credit."""
    return _act(interest_id, lambda user, interest: interests.record_disbursement(user, interest, data))


@bp.get("/interests/<int:interest_id>/messages")
@bp.response(200, MessageSchema(many=True))
def list_messages(interest_id):
    """The conversation between the institution and the owner, oldest first."""
    return interests.thread(current_user(), _interest(interest_id))


@bp.post("/interests/<int:interest_id>/messages")
@bp.doc(requestBody={"required": True, "content": {"application/json": {"schema": MessageInputSchema},
                                                   "multipart/form-data": {"schema": MessageUploadSchema}}})
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@bp.response(201, MessageSchema)
def post_message(interest_id):
    """Write to the other side: JSON `{"body": ...}`, or multipart/form-data with a `body`
    and files (a part named `file` each) under the site's upload rules: 422 with the
    reason under `errors.file` for a type or a size refused, and nothing is kept then."""
    interest = _interest(interest_id)
    if request.mimetype == "multipart/form-data":
        body = bp.ARGUMENTS_PARSER.parse(MessageUploadSchema, location="form").get("body")
        # One byte more than allowed is read, so that an oversize file is recognised as such.
        limit = current_app.config["MAX_UPLOAD_BYTES"] + 1
        files = [(f.filename, f.read(limit)) for f in request.files.getlist("file") if f.filename]
    else:
        body, files = bp.ARGUMENTS_PARSER.parse(MessageInputSchema, location="json")["body"], []
    message = interests.post_message(current_user(), interest, body, files)
    db.session.commit()
    return message


MESSAGE_FILE = {"schema": {"type": "string", "format": "binary"}}


@bp.get("/interests/<int:interest_id>/files/<int:attachment_id>")
@bp.doc(responses={"200": {"description": "The file, as a download",
                           "content": {mimetype: MESSAGE_FILE for mimetype in sorted(set(MIMETYPES.values()))}}})
def get_message_file(interest_id, attachment_id):
    """A file of the interest's conversation: for the two sides and administrators; 404
    for anyone else, and for a file that is not this conversation's."""
    interest = _interest(interest_id)
    att = get_visible(Attachment, attachment_id, current_user())
    if att.message is None or att.message.interest_id != interest.id:
        raise NotFound()
    path = attachments.open_attachment(att, by=current_user())
    if not path.is_file():
        raise NotFound()
    return send_file(path, as_attachment=True, download_name=att.filename, mimetype=att.mimetype, max_age=0)
