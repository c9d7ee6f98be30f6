"""Financing needs: list, create, edit, detail with review history, the review queue,
and the life-cycle steps (POST-only, named after their verb)."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.forms import save_edit, show_errors, show_refused, validate_all
from app.models import AuditEntry, FinancingNeed, NeedStatus, Project
from app.needs import bp
from app.needs.forms import (
    CommentForm,
    NeedFilterForm,
    NeedForm,
    ReplyForm,
    ReturnForm,
    ReviewFilterForm,
    WithdrawForm,
)
from app.pagination import paginate
from app.reference import label
from app.services import approval, attachments, needs
from app.services.errors import InvalidTransition, NotFound, ValidationFailed
from app.services.loader import get_visible
from app.services.permissions import can, require
from app.services.search import NeedFilters, ReviewFilters, review_needs, search_needs
from app.uploads import receive_upload


def load_need(need_id: int) -> FinancingNeed:
    """The need, or 404 if it does not exist or the user may not see it."""
    return get_visible(FinancingNeed, need_id, current_user)


# ---- lists ---------------------------------------------------------------------------------
@bp.get("/needs/")
@login_required
def index():
    filters = NeedFilters.from_args(request.args)
    form = NeedFilterForm(formdata=request.args)
    show_refused(form, filters)
    page = paginate(search_needs(current_user, filters), amount_of=FinancingNeed.amount)
    return render_template("needs/index.html", form=form, page=page, filters=filters,
                           project=_filtered_project(filters), filtered=filters.active)


def _filtered_project(filters: NeedFilters) -> Project | None:
    """The project the list is narrowed to (?project_id=), if the user may see it."""
    if filters.project_id is None:
        return None
    try:
        return get_visible(Project, filters.project_id, current_user)
    except NotFound:
        return None


@bp.get("/needs/review")
@login_required
def review_queue():
    filters = ReviewFilters.from_args(request.args)
    query = review_needs(current_user, filters)
    form = ReviewFilterForm(formdata=request.args)
    form.status.data = filters.shown("status")
    show_refused(form, filters)
    return render_template("needs/review.html", form=form, filters=filters,
                           page=paginate(query, amount_of=FinancingNeed.amount))


# ---- create and edit ---------------------------------------------------------------------
@bp.route("/projects/<int:project_id>/needs/new", methods=["GET", "POST"])
@login_required
def create(project_id):
    project = get_visible(Project, project_id, current_user)
    require(current_user, "create_need", project)
    if request.method == "GET":
        form = NeedForm(data={"contact_name": current_user.name, "contact_phone": current_user.phone,
                              "contact_email": current_user.email})
        return render_template("needs/form.html", form=form, project=project, need=None)
    form = NeedForm()
    if validate_all(form, lambda data: needs.validate_need(data, project)):
        try:
            need = needs.create_need(project, form.service_data(), by=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Financing need saved as a draft. Submit it for review when it is complete."),
                  "success")
            return redirect(url_for("needs.detail", need_id=need.id))
    return render_template("needs/form.html", form=form, project=project, need=None), 422


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id):
    need = load_need(need_id)
    require(current_user, "edit", need)
    if request.method == "GET":
        form = NeedForm.from_need(needs.need_form_data(need), need.version)
        return render_template("needs/form.html", form=form, project=need.project, need=need)
    form = NeedForm()
    was_reviewed = need.status in approval.REVIEWED_STATUSES
    outcome = save_edit(form, lambda: needs.update_need(
        need, form.service_data(), version=form.version_number(), by=current_user),
        check=lambda data: needs.validate_need(data, need.project))
    if outcome == "saved":
        if was_reviewed and need.status is NeedStatus.submitted:
            flash(_("Financing need saved. Because a reviewed field changed, it goes back to the "
                    "administrator for review; the administrators have been notified."), "warning")
        else:
            flash(_("Financing need saved."), "success")
        return redirect(url_for("needs.detail", need_id=need.id))
    stale = outcome == "stale"
    return render_template("needs/form.html", form=form, project=need.project, need=need,
                           stale=stale), 409 if stale else 422


# ---- detail ------------------------------------------------------------------------------
def history(need: FinancingNeed) -> list[AuditEntry]:
    """The need's audit rows, oldest first: its review history."""
    return list(db.session.scalars(
        sa.select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(AuditEntry.object_type == FinancingNeed.__tablename__, AuditEntry.object_id == need.id,
               AuditEntry.action != needs.CONTACT_READ)  # who read the contacts is for admins
        .order_by(AuditEntry.at.asc(), AuditEntry.id.asc())
    ))


def render_need(need: FinancingNeed, *, upload_errors=(), reply_form=None, status: int = 200):
    changes = approval.changes_since_approval(need) if can(current_user, "view_history", need) else []
    return render_template(
        "needs/detail.html", need=need, project=need.project, history=history(need),
        attachments=attachments.attachments_of(need, user=current_user), upload_errors=upload_errors,
        accept=attachments.ACCEPT, return_form=ReturnForm(formdata=None),
        approve_form=CommentForm(formdata=None), withdraw_form=WithdrawForm(formdata=None),
        reply_form=reply_form or ReplyForm(formdata=None), changes=changes,
        field_labels={f.name: f.label.text for f in NeedForm(formdata=None)},
        status_label=_status_label, **interest_panel(need),
    ), status


def interest_panel(need: FinancingNeed) -> dict:
    """What the need page shows of follows and interests: to an institution its own
    follow and interest; to the owner and admins every interest and the follower count."""
    from app.services import interests
    from app.services.search import InterestFilters, search_interests

    user = current_user
    panel = {"need_interests": None, "follower_count": None, "my_interest": None, "following": False,
             "coverage": None}
    if can(user, "view_interests", need):
        panel["need_interests"] = db.session.scalars(search_interests(user, InterestFilters(need_id=need.id))).all()
        panel["coverage"] = interests.money_raised(user, need)
    if can(user, "count_followers", need):
        panel["follower_count"] = interests.follower_count(user, need)
    if can(user, "keep_interests", user.org):
        panel["my_interest"] = interests.live_interest(need.id, user.org_id)
        panel["following"] = interests.is_following(user, need)
    return panel


def _status_label(value: str) -> str:
    try:
        return label(NeedStatus(value))
    except ValueError:
        return value


@bp.get("/needs/<int:need_id>")
@login_required
def detail(need_id):
    need = load_need(need_id)
    logged = needs.record_contact_reads([need], by=current_user, via="web")
    page = render_need(need)
    if logged:
        db.session.commit()  # after rendering: committing first would reload the need
    return page


@bp.post("/needs/<int:need_id>/attachments")
@login_required
def upload(need_id):
    need = load_need(need_id)
    require(current_user, "attach", need)
    _att, errors = receive_upload(need)
    if errors:
        return render_need(need, upload_errors=errors, status=422)
    return redirect(url_for("needs.detail", need_id=need.id, _anchor="attachments"))


# ---- life cycle ----------------------------------------------------------------------------
def _step(need_id: int, operation, success: str, **kwargs):
    """Run one life-cycle step; a refused step flashes its reason and changes nothing."""
    need = load_need(need_id)
    try:
        operation(need, by=current_user, **kwargs)
    except ValidationFailed as exc:
        db.session.rollback()
        messages = exc.messages()
        for message in messages:
            flash(message, "danger")
    except InvalidTransition as exc:  # e.g. someone else reviewed it a moment ago
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("needs.detail", need_id=need_id))


@bp.post("/needs/<int:need_id>/submit")
@login_required
def submit(need_id):
    """Submit; after a return, with the owner's optional reply. Refused input is shown
    on the need's page with the reply kept."""
    need = load_need(need_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            needs.submit_need(need, by=current_user, reply=form.reply.data)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        except InvalidTransition as exc:  # e.g. submitted a moment ago in another tab
            db.session.rollback()
            flash(str(exc.message), "danger")
            return redirect(url_for("needs.detail", need_id=need_id))
        else:
            db.session.commit()
            flash(_("Financing need submitted for review."), "success")
            return redirect(url_for("needs.detail", need_id=need_id))
    return render_need(need, reply_form=form, status=422)


@bp.post("/needs/<int:need_id>/delete")
@login_required
def delete(need_id):
    """Delete a draft that was never submitted (the page asks to confirm first)."""
    need = load_need(need_id)
    project_id = need.project_id
    try:
        needs.delete_need(need, by=current_user)
    except InvalidTransition as exc:  # submitted meanwhile: withdraw it instead
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("needs.detail", need_id=need_id))
    db.session.commit()
    flash(_("Draft financing need deleted."), "success")
    return redirect(url_for("projects.detail", project_id=project_id))


@bp.post("/needs/<int:need_id>/withdraw")
@login_required
def withdraw(need_id):
    return _step(need_id, needs.withdraw_need, _("Financing need withdrawn."),
                 reason=request.form.get("comment", ""))


@bp.post("/needs/<int:need_id>/approve")
@login_required
def approve(need_id):
    return _step(need_id, needs.approve_need, _("Financing need approved. The owner has been notified."),
                 comment=request.form.get("comment", ""))


@bp.post("/needs/<int:need_id>/return", endpoint="return")
@login_required
def return_(need_id):
    return _step(need_id, needs.return_need,
                 _("Financing need returned to the owner for changes. The owner has been notified."),
                 comment=request.form.get("comment", ""))
