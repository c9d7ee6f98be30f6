"""Edition pages for readers: /editions/, /editions/2026-6 (latest revision, ?rev=1 for an
older one), its items, changelog and files, and saved searches (/editions/saved).
Compiling and publishing (admins) are in compiling.py."""

import io

from flask import (
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.editions import bp, fragments
from app.editions.forms import (
    CompileForm,
    SaveSearchForm,
    SearchEmailForm,
)
from app.extensions import db
from app.models import Edition, EditionStatus, SavedSearch
from app.services import editions as svc
from app.services.errors import NotFound
from app.services.exports import filename
from app.services.formatting import today
from app.services.params import MAX_ID, BadNumber, parse_int
from app.services.permissions import can
from app.urls import local_url

EDITION = "/<int:year>-<int:period>"


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
    return render_template("editions/index.html", editions=editions, form=form,
                           can_save=_save_form() is not None)


# ---- reading ------------------------------------------------------------------------------
@bp.get(EDITION)
def show(year, period):
    page_key = fragments.page_key()
    if page_key and (html := fragments.cached_page(page_key)) is not None:
        return html
    edition = _published(year, period)
    if edition.is_draft:
        return redirect(url_for(".compile", year=year, period=period, rev=edition.revision))
    html = render_template("editions/show.html", edition=edition, parts=fragments.published_parts(edition),
                           filters=svc.Filters.from_args(request.args), save_form=_save_form())
    if page_key:
        fragments.store_page(page_key, edition, html)
    return html


def _save_form():
    if current_user.is_authenticated and can(current_user, "create", SavedSearch(user_id=current_user.id)):
        return SaveSearchForm()
    return None


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
                           contact=contact, **_interest_actions(entry.need))


def _interest_actions(need) -> dict:
    """关注 and 表达融资意向 for a verified institution user, on the need the item lists."""
    if not (current_user.is_authenticated and can(current_user, "keep_interests", current_user.org)):
        return {}
    from app.services import interests

    return {"need": need, "following": interests.is_following(current_user, need),
            "my_interest": interests.live_interest(need.id, current_user.org_id)}


@bp.get(EDITION + "/changes")
def changes(year, period):
    edition = _published(year, period)
    return render_template("editions/changes.html", edition=edition, log=svc.changelog(edition),
                           reasons=svc.REMOVAL_REASONS)


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

