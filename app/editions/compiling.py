"""Edition pages for administrators: opening a draft, compiling it (items, order, readiness
justifications), the preview, the maker-checker publication and corrections. Every page
here is refused (403) to whoever the rule table does not let compile editions."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.editions import bp, fragments
from app.editions.forms import AddItemForm, CompileForm, CorrectionForm, JustifyForm, SendBackForm, SortForm
from app.editions.routes import EDITION, _revision_arg
from app.extensions import db
from app.forms import show_errors
from app.models import Edition, EditionItem, EditionStatus, FinancingNeed
from app.services import editions as svc
from app.services import page_cache
from app.services.errors import NotAllowed, NotFound, ValidationFailed
from app.services.loader import get_by_id
from app.services.permissions import can


def _require_compiler() -> None:
    if not can(current_user, "compile", Edition(status=EditionStatus.draft)):
        raise NotAllowed()


def _latest_for_admin(year, period):
    _require_compiler()
    return svc.get_edition(year, period, user=current_user, revision=_revision_arg(), drafts=True)


@bp.post("/compile")
@login_required
def open_draft():
    _require_compiler()
    form = CompileForm()
    if not form.validate_on_submit():
        flash(_("Choose a year and a period."), "danger")
        return redirect(url_for(".index"))
    try:
        edition = svc.open_draft(form.year.data, form.period.data, by=current_user)
    except ValidationFailed as exc:  # e.g. another administrator opened it a moment ago
        db.session.rollback()
        for message in exc.messages():
            flash(message, "danger")
        return redirect(url_for(".index"))
    db.session.commit()
    return redirect(url_for(".compile", year=edition.year, period=edition.period))


@bp.get(EDITION + "/compile")
@login_required
def compile(year, period):
    return _compile_page(_latest_for_admin(year, period))


def _compile_page(edition, status: int = 200, send_back_form=None):
    context = {"edition": edition, "correction_form": CorrectionForm(),
               "send_back_form": send_back_form or SendBackForm(formdata=None)}
    if edition.is_draft:
        svc.preload(edition)
        add_form = AddItemForm()
        add_form.need_id.choices = [
            (n.id, f"{n.project.name} · {n.project.org.name}") for n in svc.addable_needs(edition)]
        context.update(
            flags=svc.check_readiness(edition), add_form=add_form,
            sort_form=SortForm(order=edition.sort_order), justify_form=JustifyForm(),
            rows={i.id: svc.item_data(i) for i in edition.items},
        )
        context["red"] = svc.red_count(context["flags"])
    return render_template("editions/compile.html", **context), status


@bp.get(EDITION + "/preview")
@login_required
def preview(year, period):
    edition = _latest_for_admin(year, period)
    svc.preload(edition)
    revisions, current = svc.revisions(edition)
    return render_template("editions/show.html", edition=edition, save_form=None,
                           parts=fragments.render_parts(edition, revisions, current, preview=True),
                           filters=svc.Filters.from_args(request.args))


def _draft_item(edition, item_id) -> EditionItem:
    entry = get_by_id(EditionItem, item_id)
    if entry.edition_id != edition.id:
        raise NotFound()
    return entry


def _back(edition):
    return redirect(url_for(".compile", year=edition.year, period=edition.period, rev=edition.revision))


@bp.post(EDITION + "/items/add")
@login_required
def add_item(year, period):
    edition = _latest_for_admin(year, period)
    need = get_by_id(FinancingNeed, request.form.get("need_id", type=int))
    svc.add_item(edition, need, by=current_user)
    db.session.commit()
    flash(_("Item added."), "success")
    return _back(edition)


@bp.post(EDITION + "/items/<int:item_id>/remove")
@login_required
def remove_item(year, period, item_id):
    edition = _latest_for_admin(year, period)
    svc.remove_item(edition, _draft_item(edition, item_id), by=current_user)
    db.session.commit()
    flash(_("Item removed."), "success")
    return _back(edition)


@bp.post(EDITION + "/sort")
@login_required
def sort(year, period):
    edition = _latest_for_admin(year, period)
    form = SortForm()
    svc.sort_items(edition, form.order.data, by=current_user)
    db.session.commit()
    flash(_("Items renumbered."), "success")
    return _back(edition)


@bp.post(EDITION + "/items/<int:item_id>/justify")
@login_required
def justify(year, period, item_id):
    edition = _latest_for_admin(year, period)
    form = JustifyForm()
    try:
        svc.justify(_draft_item(edition, item_id), form.code.data or "", form.reason.data or "", by=current_user)
    except ValidationFailed as exc:
        flash(" ".join(exc.messages()), "danger")
        return _back(edition)
    db.session.commit()
    flash(_("Justification recorded."), "success")
    return _back(edition)


@bp.post(EDITION + "/request-publication")
@login_required
def request_publication(year, period):
    edition = _latest_for_admin(year, period)
    try:
        svc.request_publication(edition, by=current_user)
    except ValidationFailed as exc:
        flash(str(exc.message), "danger")
        return _back(edition)
    db.session.commit()
    flash(_("Publication requested: another administrator must approve it."), "success")
    return _back(edition)


@bp.post(EDITION + "/send-back")
@login_required
def send_back(year, period):
    """The checker refuses a publication request with a comment (the service checks who
    may and the comment); a refused comment brings the compile page back with the
    message beside the field, the text kept and nothing changed."""
    edition = _latest_for_admin(year, period)
    form = SendBackForm()
    maker = edition.requested_by
    try:
        svc.send_back_publication(edition, form.comment.data or "", by=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return _compile_page(edition, 422, send_back_form=form)
    db.session.commit()
    flash(_("The publication request was sent back to %(name)s with your comment.", name=maker.name),
          "success")
    return _back(edition)


@bp.post(EDITION + "/publish")
@login_required
def publish(year, period):
    edition = _latest_for_admin(year, period)
    svc.preload(edition)
    try:
        svc.publish_edition(edition, by=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return _back(edition)
    db.session.commit()
    page_cache.new_generation()
    flash(_("%(title)s is published.", title=edition.title), "success")
    return redirect(url_for(".show", year=edition.year, period=edition.period))


@bp.post(EDITION + "/correct")
@login_required
def correct(year, period):
    edition = _latest_for_admin(year, period)
    form = CorrectionForm()
    try:
        draft = svc.create_correction(edition, form.correction_note.data or "", by=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        for message in exc.messages():
            flash(message, "danger")
        return _back(edition)
    db.session.commit()
    flash(_("Revision %(n)d opened as a draft.", n=draft.revision), "success")
    return _back(draft)


