from flask import after_this_request
from flask_smorest import Blueprint

from app.api.auth import authenticate, current_user
from app.api.pagination import paginate
from app.api.schemas import (
    NEED_INPUT_FIELDS,
    CommentSchema,
    NeedFilterSchema,
    NeedInputSchema,
    NeedPatchSchema,
    NeedSchema,
    OptionalCommentSchema,
    ReasonSchema,
    ReplySchema,
    filters_or_422,
    page_schema,
)
from app.extensions import db
from app.models import FinancingNeed, Project
from app.services import needs
from app.services.loader import get_visible
from app.services.search import NeedFilters, search_needs

bp = Blueprint("api_needs", __name__, url_prefix="", description="Financing needs and their review")
bp.before_request(authenticate)

NeedPageSchema = page_schema(NeedSchema, "NeedPage")


def _audit_contact_reads(shown) -> None:
    """Log the contacts this answer shows; committed once the answer is serialised, so
    that committing does not reload every need on the page."""
    if needs.record_contact_reads(shown, by=current_user(), via="API"):
        @after_this_request
        def commit(response):
            db.session.commit()
            return response


@bp.get("/needs")
@bp.arguments(NeedFilterSchema, location="query", as_kwargs=True)
@bp.response(200, NeedPageSchema)
def list_needs(page, per_page, **args):
    """Financing needs the caller may see (institutions: listed needs), last changed first:
    the filters and orders of the site's need list."""
    result = paginate(search_needs(current_user(), filters_or_422(NeedFilters, args)),
                      page=page, per_page=per_page)
    _audit_contact_reads(result["items"])
    return result


@bp.get("/needs/<int:need_id>")
@bp.response(200, NeedSchema)
def get_need(need_id):
    """One financing need; contact fields are null unless the caller may see them."""
    need = get_visible(FinancingNeed, need_id, current_user())
    _audit_contact_reads([need])
    return need


@bp.post("/projects/<int:project_id>/needs")
@bp.arguments(NeedInputSchema)
@bp.response(201, NeedSchema)
def create_need(data, project_id):
    """Add a draft financing need to a project (its owner)."""
    project = get_visible(Project, project_id, current_user())
    need = needs.create_need(project, data, by=current_user())
    db.session.commit()
    return need


@bp.patch("/needs/<int:need_id>")
@bp.arguments(NeedPatchSchema(partial=NEED_INPUT_FIELDS))
@bp.response(200, NeedSchema)
def update_need(data, need_id):
    """Change some fields of a need. `version` is the one you read: if the need changed
    since, nothing is saved and the answer is 409 stale_edit. Editing an approved need
    sends it back for review."""
    need = get_visible(FinancingNeed, need_id, current_user())
    version = data.pop("version")
    merged = {**needs.need_form_data(need), **data}
    needs.update_need(need, merged, version=version, by=current_user())
    db.session.commit()
    return need


@bp.post("/needs/<int:need_id>/submit")
@bp.arguments(ReplySchema, required=False)
@bp.response(200, NeedSchema)
def submit_need(data, need_id):
    """Submit a draft or returned need for review; after a return, `reply` answers the
    reviewer's comment."""
    need = get_visible(FinancingNeed, need_id, current_user())
    needs.submit_need(need, by=current_user(), reply=data.get("reply"))
    db.session.commit()
    return need


@bp.delete("/needs/<int:need_id>")
@bp.response(204)
def delete_need(need_id):
    """Delete a draft that was never submitted, with its attachments (its owner). A need
    submitted once is withdrawn instead (409)."""
    need = get_visible(FinancingNeed, need_id, current_user())
    needs.delete_need(need, by=current_user())
    db.session.commit()


@bp.post("/needs/<int:need_id>/withdraw")
@bp.arguments(ReasonSchema, required=False)
@bp.response(200, NeedSchema)
def withdraw_need(data, need_id):
    """Withdraw a need that is not closed yet (its owner)."""
    need = get_visible(FinancingNeed, need_id, current_user())
    needs.withdraw_need(need, by=current_user(), reason=data.get("reason"))
    db.session.commit()
    return need


@bp.post("/needs/<int:need_id>/approve")
@bp.arguments(OptionalCommentSchema, required=False)
@bp.response(200, NeedSchema)
def approve_need(data, need_id):
    """Approve a submitted need (administrators)."""
    need = get_visible(FinancingNeed, need_id, current_user())
    needs.approve_need(need, by=current_user(), comment=data.get("comment"))
    db.session.commit()
    return need


@bp.post("/needs/<int:need_id>/return")
@bp.arguments(CommentSchema)
@bp.response(200, NeedSchema)
def return_need(data, need_id):
    """Return a submitted need to its owner with a comment (administrators)."""
    need = get_visible(FinancingNeed, need_id, current_user())
    needs.return_need(need, comment=data["comment"], by=current_user())
    db.session.commit()
    return need
