"""Follows and interests on the site: following a need, expressing interest, the interest
page with its steps, disbursements and conversation, and the workspace of interests (a
table or a board by stage, and its Excel file)."""

import io

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from app import kept_pages
from app.extensions import db
from app.forms import show_errors, show_refused, validate_all
from app.interests import bp
from app.interests.forms import (
    CloseForm,
    CreditForm,
    DeclineForm,
    DisbursementForm,
    InterestFilterForm,
    InterestForm,
    MessageForm,
    NoteForm,
    RejectForm,
)
from app.models import AuditEntry, FinancingNeed, Interest, RejectionReason
from app.pagination import paginate
from app.services import audit, interests, page_cache
from app.services.errors import InvalidTransition, StaleEdit, ValidationFailed
from app.services.interests import export as interest_export
from app.services.interests import workspace
from app.services.loader import get_visible
from app.services.permissions import can, require
from app.services.search import InterestFilters, search_interests
from app.services.search.interests import institution_choices, need_choices, reader_side
from app.urls import local_url


def _need(need_id: int) -> FinancingNeed:
    return get_visible(FinancingNeed, need_id, current_user)


def _interest(interest_id: int) -> Interest:
    return get_visible(Interest, interest_id, current_user)


def _back(need: FinancingNeed):
    """To the `next` address of the form if it is on this site, else to the need's page
    (or the workspace, for a need the user no longer sees)."""
    fallback = (url_for("needs.detail", need_id=need.id) if can(current_user, "view", need)
                else url_for("interests.index"))
    return redirect(local_url(request.form.get("next"), fallback))


# ---- follows ------------------------------------------------------------------------------
@bp.post("/needs/<int:need_id>/follow")
@login_required
def follow(need_id):
    need = _need(need_id)
    interests.follow(current_user, need)
    db.session.commit()
    flash(_("You follow this financing need: you will be told of its changes and its closing."), "success")
    return _back(need)


@bp.post("/needs/<int:need_id>/unfollow")
@login_required
def unfollow(need_id):
    need = _need(need_id)  # a followed need stays visible to its follower off the list too
    interests.unfollow(current_user, need)
    db.session.commit()
    flash(_("You no longer follow this financing need."), "success")
    return _back(need)


# ---- expressing interest -------------------------------------------------------------------
@bp.route("/needs/<int:need_id>/interest", methods=["GET", "POST"])
@login_required
def express(need_id):
    need = _need(need_id)
    require(current_user, "express", need)
    live = interests.live_interest(need.id, current_user.org_id)
    if request.method == "GET":
        if live is not None:
            data = {f: getattr(live, f) for f in interests.OFFER_FIELDS}
            data["instrument"] = live.instrument.value
            form = InterestForm(formdata=None, data={**data, "version": live.version})
        else:
            form = InterestForm(formdata=None)
        return render_template("interests/form.html", form=form, need=need, live=live)
    form = InterestForm()
    status = 422
    if validate_all(form, lambda data: interests.validate_offer(data, need)):
        try:
            interest = interests.express_interest(current_user, need, form.service_data(),
                                                  version=form.version_number())
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        except (StaleEdit, InvalidTransition) as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            status = 409
        else:
            db.session.commit()
            flash(_("Your financing interest has been sent to the owner."), "success")
            return redirect(url_for("interests.detail", interest_id=interest.id))
    return render_template("interests/form.html", form=form, need=need, live=live), status


# ---- lists: the workspace, as a table or a board, and its Excel file -----------------------
def _filter_form(filters: InterestFilters) -> InterestFilterForm:
    side = reader_side(current_user)
    form = InterestFilterForm(formdata=request.args,
                              needs=need_choices(current_user) if side == "owner" else (),
                              institutions=institution_choices(current_user) if side != "institution" else ())
    show_refused(form, filters)
    return form


@bp.get("/interests/")
@login_required
def index():
    """融资意向工作台: the table (paginated) or, with ?view=board, the board by stage; the
    same filters, kept in the address, for both and for the Excel file."""
    require(current_user, "list_interests", current_user.org)
    # Kept whole for the visitor in the generation of the data, as the dashboard is: every
    # step, message, read mark or new interest is a commit that writes and renews it, and a
    # kept page is at most 30 s old, so days in stage and validity stay right (app/kept_pages.py).
    return kept_pages.serve("interests", page_cache.data_generation, render=_workspace)


def _workspace() -> str:
    filters = InterestFilters.from_args(request.args)
    form = _filter_form(filters)
    view = "board" if request.args.get("view") == "board" else "table"
    if view == "board":
        board = workspace.board(current_user, filters)
        listing = {"board": board, "unread": board.unread, "totals": board.totals}
    else:
        page = paginate(search_interests(current_user, filters))
        listing = {"page": page, "unread": workspace.unread_counts(current_user, page.items),
                   "totals": workspace.totals(current_user, filters)}
    return render_template("interests/index.html", form=form, filters=filters, filtered=filters.active,
                           view=view, side=reader_side(current_user),
                           awaiting=workspace.awaiting_count(current_user),
                           days_in_stage=workspace.days_in_stage, **listing)


@bp.get("/interests/export.xlsx")
@login_required
def export():
    """The interests of the workspace with its filters, as an Excel file (audited)."""
    filters = InterestFilters.from_args(request.args)
    try:
        sheet = interest_export.export_interests(current_user, filters)
    except ValidationFailed as exc:
        db.session.rollback()
        for text in exc.messages():
            flash(text, "warning")
        return redirect(url_for("interests.index", **request.args))
    db.session.commit()
    response = send_file(io.BytesIO(sheet.content), as_attachment=True, download_name=sheet.filename,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- one interest ---------------------------------------------------------------------------------
def timeline(interest: Interest) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(AuditEntry.object_type == Interest.__tablename__, AuditEntry.object_id == interest.id)
        .order_by(AuditEntry.at.asc(), AuditEntry.id.asc())))


NOTE_STEPS = ("contact", "start_due_diligence", "withdraw")  # the steps that take a note only


def render_interest(interest: Interest, *, status: int = 200, **forms):
    """The interest page; `forms` are the submitted forms to show again with their errors
    (a note step's as "<step>_form")."""
    defaults = {"note_form": NoteForm(formdata=None), "decline_form": DeclineForm(formdata=None),
                "reject_form": RejectForm(formdata=None), "credit_form": CreditForm(formdata=None),
                "disbursement_form": DisbursementForm(formdata=None), "message_form": MessageForm(formdata=None),
                "close_form": CloseForm(formdata=None),
                **{f"{step}_form": NoteForm(formdata=None, step=step) for step in NOTE_STEPS}}
    defaults.update(forms)
    defaults["step_forms"] = {step: defaults.pop(f"{step}_form") for step in NOTE_STEPS}
    messages = interests.thread(current_user, interest)
    unread = interests.unread_count(current_user, interest)
    page = render_template("interests/detail.html", interest=interest, need=interest.need,
                           timeline=timeline(interest), messages=messages, unread=unread,
                           coverage=interests.money_raised(current_user, interest.need),
                           action_label=audit.action_label, **defaults)
    return page, status


@bp.get("/interests/<int:interest_id>")
@login_required
def detail(interest_id):
    interest = _interest(interest_id)
    page = render_interest(interest)
    interests.mark_read(current_user, interest)
    db.session.commit()
    return page


def _run(interest_id: int, action: str, form, form_name: str, operation, success: str):
    """One step from a form of the interest page: `operation(interest)` through its service.
    Who may take the step is asked first, before the input is read; refused input is shown
    in place, kept."""
    interest = _interest(interest_id)
    try:
        require(current_user, action, interest)  # 404 or 403 before anything is read
    except InvalidTransition as exc:  # the right person at the wrong stage
        flash(str(exc.message), "danger")
        return redirect(url_for("interests.detail", interest_id=interest.id))
    if not form.validate_on_submit():
        return render_interest(interest, status=422, **{form_name: form})
    try:
        operation(interest)
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return render_interest(interest, status=422, **{form_name: form})
    except (InvalidTransition, StaleEdit) as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("interests.detail", interest_id=interest.id))
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("interests.detail", interest_id=interest.id))


def _step(interest_id: int, action: str):
    form = NoteForm(step=action)
    return _run(interest_id, action, form, f"{action}_form",
                lambda interest: interests.step(current_user, interest, action, note=form.note.data),
                _("The financing interest has moved on. The owner has been notified."))


@bp.post("/interests/<int:interest_id>/contact")
@login_required
def contact(interest_id):
    return _step(interest_id, "contact")


@bp.post("/interests/<int:interest_id>/start_due_diligence")
@login_required
def start_due_diligence(interest_id):
    return _step(interest_id, "start_due_diligence")


@bp.post("/interests/<int:interest_id>/withdraw")
@login_required
def withdraw(interest_id):
    return _step(interest_id, "withdraw")


@bp.post("/interests/<int:interest_id>/approve")
@login_required
def approve(interest_id):
    form = CreditForm()
    return _run(interest_id, "approve", form, "credit_form",
                lambda interest: interests.approve_credit(current_user, interest, form.data),
                _("Credit approval recorded. The owner has been notified."))


@bp.post("/interests/<int:interest_id>/disbursements")
@login_required
def disburse(interest_id):
    form = DisbursementForm()
    return _run(interest_id, "disburse", form, "disbursement_form",
                lambda interest: interests.record_disbursement(current_user, interest, form.data),
                _("Disbursement recorded. The owner has been notified."))


@bp.post("/interests/<int:interest_id>/reject")
@login_required
def reject(interest_id):
    form = RejectForm()
    reason = {r.value: r for r in RejectionReason}.get(form.reason.data)
    return _run(interest_id, "reject", form, "reject_form",
                lambda interest: interests.reject(current_user, interest, reason=reason, note=form.note.data),
                _("Credit refusal recorded. The owner has been notified."))


@bp.post("/interests/<int:interest_id>/decline")
@login_required
def decline(interest_id):
    form = DeclineForm()
    return _run(interest_id, "decline", form, "decline_form",
                lambda interest: interests.decline(current_user, interest, reason=form.reason.data),
                _("Financing interest declined. The institution has been notified."))


@bp.post("/interests/<int:interest_id>/reconfirm")
@login_required
def reconfirm(interest_id):
    return _run(interest_id, "reconfirm", NoteForm(), "note_form",
                lambda interest: interests.reconfirm(current_user, interest), _("Financing interest re-confirmed."))


@bp.post("/interests/<int:interest_id>/messages")
@login_required
def message(interest_id):
    form = MessageForm()
    upload = request.files.get("file")
    files = [(upload.filename, upload.read())] if upload is not None and upload.filename else []
    return _run(interest_id, "message", form, "message_form",
                lambda interest: interests.post_message(current_user, interest, form.body.data, files),
                _("Message sent."))


# ---- the owner's side of the need ---------------------------------------------------------------
@bp.post("/needs/<int:need_id>/close-financed")
@login_required
def close_financed(need_id):
    need = _need(need_id)
    form = CloseForm()
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(errors=form.errors)
        interests.close_financed(current_user, need, note=form.note.data, partly=form.partly.data)
    except ValidationFailed as exc:
        db.session.rollback()
        for text in exc.messages():
            flash(text, "danger")
    except InvalidTransition as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(_("Financing need closed as financed. The institutions and followers have been notified."),
              "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.post("/needs/<int:need_id>/confirm-overfunding")
@login_required
def confirm_overfunding(need_id):
    need = _need(need_id)
    interests.confirm_overfunding(current_user, need)
    db.session.commit()
    flash(_("Disbursements beyond the amount sought are accepted for this need."), "success")
    return redirect(url_for("needs.detail", need_id=need.id))
