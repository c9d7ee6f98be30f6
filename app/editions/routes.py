"""Edition pages. Reading: /editions/, /editions/2026-6 (latest revision, ?rev=1 for an
older one), its items, changelog and files. Compiling (admins): /editions/2026-6/compile.
Saved searches: /editions/saved."""

import io
import time

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app import reference as ref
from app.editions import bp
from app.editions.forms import (
    AddItemForm,
    CompileForm,
    CorrectionForm,
    JustifyForm,
    SaveSearchForm,
    SearchEmailForm,
    SendBackForm,
    SortForm,
)
from app.extensions import db
from app.forms import show_errors
from app.models import Edition, EditionItem, EditionStatus, FinancingNeed, ItemMarker, SavedSearch
from app.services import editions as svc
from app.services.errors import NotFound, ValidationFailed
from app.services.exports import filename
from app.services.formatting import today
from app.services.loader import get_by_id
from app.services.params import MAX_ID, BadNumber, page_arg, parse_int
from app.services.permissions import can, require_admin
from app.urls import local_url

EDITION = "/<int:year>-<int:period>"
CACHE_SIZE = 512


def _revision_arg() -> int | None:
    """?rev=: None for the latest; a revision that cannot exist answers 404."""
    try:
        return parse_int(request.args.get("rev"), minimum=1, maximum=MAX_ID)
    except BadNumber:
        raise NotFound() from None


def _published(year: int, period: int):
    """The latest (or ?rev=) published revision; admins may ask for a draft by ?rev=."""
    return svc.get_edition(year, period, user=current_user, revision=_revision_arg())


@bp.get("/")
def index():
    editions = db.session.scalars(svc.list_editions(current_user)).all()
    form = CompileForm(year=today().year, period=(today().month + 1) // 2) if can(
        current_user, "compile", Edition(status=EditionStatus.draft)) else None
    return render_template("editions/index.html", editions=editions, form=form)


# ---- reading ------------------------------------------------------------------------------
# Published editions never change, so the page an anonymous reader gets is cached whole,
# per process, keyed by address, query string and language. What can change is which
# revision is the latest: entries live CACHE_SECONDS, and publishing in this process
# empties the cache at once. The CSRF token of the page's language form is the only
# per-visitor part: it is swapped in on the way out.
CACHE_SECONDS = 30
CSRF_PLACEHOLDER = "__cp_csrf_token__"


def _page_cache() -> dict:
    return current_app.extensions.setdefault("edition_page_cache", {})


def _cacheable() -> bool:
    """Anonymous readers without pending flash messages all see the same page."""
    return not current_user.is_authenticated and not session.get("_flashes")


@bp.get(EDITION)
def show(year, period):
    cache = _page_cache() if _cacheable() else None
    key = (year, period, str(get_locale()), request.query_string)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1].replace(CSRF_PLACEHOLDER, generate_csrf())
    edition = _published(year, period)
    if edition.is_draft:
        return redirect(url_for(".compile", year=year, period=period, rev=edition.revision))
    body = Markup(_render_edition_body(edition, preview=False, save_form=_save_form()))
    html = render_template("editions/show.html", edition=edition, body=body)
    if cache is not None and edition.files_ready_at is not None:  # not while its files say 正在生成
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[key] = (time.monotonic() + CACHE_SECONDS, html.replace(generate_csrf(), CSRF_PLACEHOLDER))
    return html


def _save_form():
    if current_user.is_authenticated and can(current_user, "create", SavedSearch(user_id=current_user.id)):
        return SaveSearchForm()
    return None


def _reading_labels() -> dict:
    """The filter choices and the display labels of the reading page, translated once per
    language and process: per option and per cell they cost more than the rest of the page."""
    cache = current_app.extensions.setdefault("edition_reading_labels", {})
    key = str(get_locale())
    labels = cache.get(key)
    if labels is None:
        labels = cache[key] = {
            "districts": ref.district_choices(),
            "categories": ref.choices(ref.Category),
            "industries": ref.industry_choices(),
            "levels": ref.choices(ref.Level),
            "instruments": ref.choices(ref.Instrument),
            "district": dict(ref.district_choices()),
            "zone": dict(ref.zone_choices()),
            "industry": {i.code: i.label for i in ref.industries()},
            "level": dict(ref.choices(ref.Level)),
            "instrument": dict(ref.choices(ref.Instrument)),
            "marker": {m.value: ref.label(m) for m in ItemMarker},
            "priority": _("Priority"),
        }
    return labels


def _render_edition_body(edition, *, preview: bool, save_form=None) -> str:
    filters = svc.Filters.from_args(request.args)
    page = svc.page_items(edition, filters, page=page_arg(request.args),
                          per_page=current_app.config["PER_PAGE"])
    labels = _reading_labels()
    present = svc.edition_industries(edition) | ({filters.industry} if filters.industry else set())
    revisions, current = svc.revisions(edition)
    return render_template(
        "editions/_body.html", edition=edition, filters=filters, page=page, preview=preview,
        rows=[svc.public_data(svc.item_data(i)) for i in page.items],
        revisions=revisions, current=current, sorts=svc.READER_SORTS,
        labels={**labels, "industries": [(v, name) for v, name in labels["industries"] if v in present]},
        save_form=save_form, filter_words=filters.in_words(),
        contacts_export=not preview and svc.may_export_contacts(edition, filters, current_user),
    )


@bp.get(EDITION + ".<fmt>")
def download(year, period, fmt):
    edition = _published(year, period)
    row = svc.edition_file(edition, fmt)
    if request.if_none_match and row.sha256 in request.if_none_match:
        return "", 304
    response = send_file(io.BytesIO(row.content), mimetype=svc.MIME_TYPES[fmt], as_attachment=fmt != "json",
                         download_name=filename(svc.meta(edition), fmt), etag=row.sha256,
                         last_modified=edition.published_at)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _selection_download(edition, fmt: str, *, contacts: bool):
    filters = svc.Filters.from_args(request.args)
    try:
        content, name = svc.export_selection(edition, filters, fmt, by=current_user, contacts=contacts)
    except svc.TooManyItems as exc:
        flash(str(exc.message), "warning")
        return redirect(url_for(".show", year=edition.year, period=edition.period, **request.args.to_dict()))
    if contacts:
        db.session.commit()  # the audit row of this download
    response = send_file(io.BytesIO(content), mimetype=svc.MIME_TYPES[fmt], as_attachment=fmt != "json",
                         download_name=name)
    if contacts:
        response.headers["Cache-Control"] = "no-store"
    else:  # public fields of a published, frozen snapshot
        response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get(EDITION + "/selection.<fmt>")
def export(year, period, fmt):
    """The items matching the page's filters, public fields, made on request."""
    return _selection_download(_published(year, period), fmt, contacts=False)


@bp.get(EDITION + "/selection-contacts.<fmt>")
@login_required
def export_contacts(year, period, fmt):
    """The same with the contact details, for readers the view_contact rule allows; audited."""
    return _selection_download(_published(year, period), fmt, contacts=True)


@bp.get(EDITION + "/items/<int:seq>")
def item(year, period, seq):
    edition = _published(year, period)
    entry = svc.get_item(edition, seq)
    data = svc.item_data(entry)
    contact = svc.contact_of(entry, user=current_user)
    if contact is not None:
        db.session.commit()  # the audit row of this reading
    return render_template("editions/item.html", edition=edition, item=entry, data=svc.public_data(data),
                           contact=contact)


@bp.get(EDITION + "/changes")
def changes(year, period):
    edition = _published(year, period)
    return render_template("editions/changes.html", edition=edition, log=svc.changelog(edition),
                           reasons=svc.REMOVAL_REASONS)


# ---- compiling (admins) ------------------------------------------------------------------------
def _latest_for_admin(year, period):
    require_admin(current_user)
    return svc.get_edition(year, period, user=current_user, revision=_revision_arg(), drafts=True)


@bp.post("/compile")
@login_required
def open_draft():
    require_admin(current_user)
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
    body = Markup(_render_edition_body(edition, preview=True))
    return render_template("editions/show.html", edition=edition, body=body)


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
    _page_cache().clear()
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


# ---- saved searches -----------------------------------------------------------------------------
@bp.get("/saved")
@login_required
def saved():
    searches = svc.user_searches(current_user)
    latest = svc.latest_published()
    return render_template("editions/saved.html", searches=searches, latest=latest,
                           can_save=_save_form() is not None, email_form=SearchEmailForm(),
                           filter_words=svc.filter_words)


@bp.post("/saved")
@login_required
def save_search():
    form = SaveSearchForm()
    target = local_url(request.form.get("next"), url_for(".saved"))
    if not target.startswith("/editions/"):
        target = url_for(".saved")
    if not form.validate_on_submit():
        flash(_("Give the search a name."), "danger")
        return redirect(target)
    svc.save_search(current_user, name=form.name.data, filters=svc.Filters.from_args(request.form),
                    email=form.email.data)
    db.session.commit()
    flash(_("Search saved: you will be told how many items match it in each new edition."), "success")
    return redirect(target)


@bp.post("/saved/<int:search_id>/delete")
@login_required
def delete_search(search_id):
    search = svc.get_search(search_id, user=current_user)
    svc.delete_search(search, by=current_user)
    db.session.commit()
    flash(_("Saved search deleted."), "success")
    return redirect(url_for(".saved"))


@bp.post("/saved/<int:search_id>/email")
@login_required
def search_email(search_id):
    search = svc.get_search(search_id, user=current_user)
    svc.set_search_email(search, SearchEmailForm().email.data, by=current_user)
    db.session.commit()
    flash(_("E-mail setting saved."), "success")
    return redirect(url_for(".saved"))

