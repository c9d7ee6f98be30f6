"""Exports of a filtered selection of an edition, with or without contacts."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, lazyload, load_only

from app.extensions import db
from app.models import (
    Edition,
    EditionItem,
    FinancingNeed,
    Project,
)
from app.services import audit
from app.services.editions.reading import Filters, filters_sentence, search_items
from app.services.editions.snapshot import meta, public_data
from app.services.errors import NotFound, ValidationFailed
from app.services.permissions import can

# ---- exports of a selection ----------------------------------------------------------------------
# A whole edition is at most a few thousand items; a PDF costs ~10 ms of CPU a row.
EXPORT_MAX_ITEMS = {"xlsx": 5000, "csv": 5000, "json": 5000, "pdf": 1000}
SELECTION_FORMATS = ("pdf", "xlsx", "csv", "json")
CONTACT_FORMATS = ("pdf", "xlsx", "csv")


class TooManyItems(ValidationFailed):
    pass


def _selection(edition: Edition, filters: Filters, *, with_owner: bool = False,
               snapshots: bool = True) -> list[EditionItem]:
    """The matching items in one statement; with_owner joins what the view_contact rule
    reads (the need's project's organisation) instead of loading it item by item."""
    columns = [EditionItem.id, EditionItem.edition_id, EditionItem.need_id, EditionItem.seq]
    query = search_items(edition, filters).options(
        load_only(*columns, *([EditionItem.snapshot] if snapshots else [])))
    if with_owner:
        query = query.join(EditionItem.need).join(FinancingNeed.project).options(
            contains_eager(EditionItem.need).options(
                load_only(FinancingNeed.id, FinancingNeed.project_id), lazyload(FinancingNeed.instrument_rows),
                contains_eager(FinancingNeed.project).load_only(Project.id, Project.org_id)))
    return list(db.session.scalars(query))


def _contacts_allowed(user, items) -> bool:
    return bool(items) and all(can(user, "view_contact", i) for i in items)


def _one_item_per_owner(edition: Edition, filters: Filters) -> list[EditionItem]:
    """A matching item of each owner organisation of the selection: two statements, however
    many items. The view_contact rule reads of an item only its edition and its need's
    owner, so it holds for every item of the selection when it holds for these."""
    firsts = (search_items(edition, filters).order_by(None)
              .join(EditionItem.need).join(FinancingNeed.project)
              .with_only_columns(sa.func.min(EditionItem.id)).group_by(Project.org_id))
    return list(db.session.scalars(
        sa.select(EditionItem).where(EditionItem.id.in_(firsts))
        .join(EditionItem.need).join(FinancingNeed.project)
        .options(load_only(EditionItem.id, EditionItem.edition_id, EditionItem.need_id),
                 contains_eager(EditionItem.need).options(
                     load_only(FinancingNeed.id, FinancingNeed.project_id), lazyload(FinancingNeed.instrument_rows),
                     contains_eager(FinancingNeed.project).load_only(Project.id, Project.org_id)))))


def may_export_contacts(edition: Edition, filters: Filters, user) -> bool:
    """Whether `user` may download this selection with contact details: the view_contact
    rule holds for every item of it. Never for the public."""
    if user is None or not getattr(user, "is_authenticated", False) or not edition.is_public:
        return False
    return _contacts_allowed(user, _one_item_per_owner(edition, filters))


def export_selection(edition: Edition, filters: Filters, fmt: str, *, by=None,
                     contacts: bool = False) -> tuple[bytes, str]:
    """A file of the edition's items matching the filters, in their order, made now: its
    content and file name (…_筛选结果). The stored files stay the official full list.
    With contacts=True every item must pass the view_contact rule, and the download is
    audited (one row, with the filters); the caller commits."""
    from app.services import exports
    from app.services.errors import NotAllowed

    if not edition.is_public or fmt not in (CONTACT_FORMATS if contacts else SELECTION_FORMATS):
        raise NotFound()
    items = _selection(edition, filters, with_owner=contacts)
    limit = EXPORT_MAX_ITEMS[fmt]
    if len(items) > limit:
        raise TooManyItems(_l("This selection has %(n)d items: narrow the filters to %(max)d items or fewer, "
                              "or download the full list.", n=len(items), max=limit))
    if contacts and not _contacts_allowed(by, items):
        raise NotAllowed()
    from flask_babel import force_locale

    with force_locale("zh"):  # the exports are in Chinese, the official list's language
        info = {**meta(edition), "selection": filters_sentence(filters), "item_count": len(items),
                "contacts": contacts}
    datas = [i.snapshot if contacts else public_data(i.snapshot) for i in items]
    makers = {"pdf": exports.edition_pdf, "xlsx": exports.edition_xlsx,
              "csv": exports.edition_csv, "json": exports.edition_json}
    content = makers[fmt](info, datas)
    if contacts:
        audit.record("edition.export_contacts", edition, by=by, note=info["selection"] or None,
                     after={"format": fmt, "filters": filters.as_dict(), "items": len(items)})
    return content, exports.filename(info, fmt)


