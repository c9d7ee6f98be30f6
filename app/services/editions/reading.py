"""Finding editions and reading them: filters, search, pagination, an item and its contact."""


from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.orm import load_only, selectinload

from app.extensions import db
from app.models import (
    PUBLIC_EDITION_STATUSES,
    Edition,
    EditionItem,
    EditionItemInstrument,
    EditionStatus,
    FinancingNeed,
    ItemMarker,
    Project,
)
from app.models.edition import PERIODS
from app.reference import Category, Instrument, Level, district, industry
from app.services import audit
from app.services.editions.common import CONTACT_FIELDS
from app.services.editions.snapshot import item_data
from app.services.errors import NotFound
from app.services.params import BadNumber, amount_range_error, parse_amount, valid_id
from app.services.permissions import can, visible_editions


# ---- finding editions ------------------------------------------------------------------------
def parse_key(key: str) -> tuple[int, int]:
    """"2026-6" -> (2026, 6); anything else is NotFound."""
    try:
        year, period = (int(p) for p in key.split("-"))
    except ValueError:
        raise NotFound() from None
    if period not in PERIODS or not 2000 <= year <= 2100:
        raise NotFound()
    return year, period


def get_edition(year: int, period: int, *, user, revision: int | None = None,
                drafts: bool = False) -> Edition:
    """The revision asked for (a draft only for admins), or else the latest published
    revision (the latest revision, draft included, with drafts=True)."""
    if period not in PERIODS or not 2000 <= year <= 2100 or (revision is not None and not 0 < revision < 10_000):
        raise NotFound()
    query = visible_editions(user).where(Edition.year == year, Edition.period == period)
    if revision is not None:
        query = query.where(Edition.revision == revision)
    elif not drafts:
        query = query.where(Edition.status.in_(PUBLIC_EDITION_STATUSES))
    edition = db.session.scalars(query.order_by(Edition.revision.desc()).limit(1)).first()
    if edition is None:
        raise NotFound()
    return edition


def list_editions(user) -> sa.Select:
    return visible_editions(user).order_by(
        Edition.year.desc(), Edition.period.desc(), Edition.revision.desc()
    )


def latest_published(before: tuple[int, int] | None = None) -> Edition | None:
    query = sa.select(Edition).where(Edition.status.in_(PUBLIC_EDITION_STATUSES))
    if before is not None:
        query = query.where(sa.tuple_(Edition.year, Edition.period) < sa.tuple_(*before))
    query = query.order_by(Edition.year.desc(), Edition.period.desc(), Edition.revision.desc())
    return db.session.scalars(query.limit(1)).first()


def latest_with_item_count() -> tuple[Edition | None, int | None]:
    """The latest published edition and how many items it has, in one statement (the
    dashboard's card): the items are counted, never loaded."""
    items = (sa.select(sa.func.count()).select_from(EditionItem)
             .where(EditionItem.edition_id == Edition.id).scalar_subquery())
    query = (sa.select(Edition, items).where(Edition.status.in_(PUBLIC_EDITION_STATUSES))
             .order_by(Edition.year.desc(), Edition.period.desc(), Edition.revision.desc()).limit(1))
    row = db.session.execute(query).first()
    return (row[0], row[1]) if row else (None, None)


def revisions(edition: Edition) -> tuple[list[Edition], Edition | None]:
    """The published revisions of the edition's period, oldest first, and, for a
    superseded edition, the one to read instead: the edition now published (a later
    revision of the same period or a later period). One query for both."""
    same_period = sa.and_(Edition.year == edition.year, Edition.period == edition.period)
    rows = list(db.session.scalars(
        sa.select(Edition).where(Edition.status.in_(PUBLIC_EDITION_STATUSES),
                                 sa.or_(same_period, Edition.status == EditionStatus.published))
        .order_by(Edition.year, Edition.period, Edition.revision)
    ))
    current = None
    if edition.status is EditionStatus.superseded:
        current = next((e for e in reversed(rows) if e.status is EditionStatus.published), None)
    return [e for e in rows if (e.year, e.period) == (edition.year, edition.period)], current



# ---- reading: filters, search, pagination -------------------------------------------------------
@dataclass
class Filters:
    district: str | None = None
    category: str | None = None
    industry: str | None = None
    level: str | None = None
    instrument: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    marker: str | None = None
    q: str | None = None
    sort: str = "seq"
    # What the reader typed into a refused filter (shown back in the form), and why it
    # was refused: field -> [message]. A refused filter is not applied.
    typed: dict = field(default_factory=dict, compare=False)
    errors: dict = field(default_factory=dict, compare=False)

    FIELDS = ("district", "category", "industry", "level", "instrument", "min_amount",
              "max_amount", "marker", "q", "sort")
    CHOICES = {
        "district": lambda v: district(v) is not None,
        "industry": lambda v: industry(v) is not None and not v.isalpha(),
        "category": lambda v: v in {c.value for c in Category},
        "level": lambda v: v in {c.value for c in Level},
        "instrument": lambda v: v in {c.value for c in Instrument},
        "marker": lambda v: v in {c.value for c in ItemMarker},
    }

    @classmethod
    def from_args(cls, args) -> "Filters":
        """From a query string or a saved search. A value that is not one of its choices,
        an amount that is not a number, negative or out of range, and an upper amount
        below the lower one are refused: recorded in `errors`, not applied."""
        f = cls()
        for name in ("district", "category", "industry", "level", "instrument", "marker", "q"):
            value = (args.get(name) or "").strip()[:100] or None
            if value is not None and name in cls.CHOICES and not cls.CHOICES[name](value):
                f._refuse(name, value, _l("Choose a value from the list."))
                continue
            setattr(f, name, value)
        for name in ("min_amount", "max_amount"):
            raw = args.get(name)
            try:
                setattr(f, name, parse_amount(raw))
            except BadNumber as exc:
                f._refuse(name, str(raw).strip()[:40], exc.message)
        message = amount_range_error(f.min_amount, f.max_amount)
        if message is not None:
            for name in ("min_amount", "max_amount"):
                f.typed[name] = str(args.get(name)).strip()[:40]
            f.min_amount = f.max_amount = None
            f.errors["max_amount"] = [message]
        f.sort = args.get("sort") if args.get("sort") in READER_SORTS else "seq"
        return f

    def _refuse(self, name: str, typed: str, message) -> None:
        self.typed[name] = typed
        self.errors[name] = [message]

    def shown(self, name: str) -> str:
        """The value to put back into the filter form: what was typed, if it was refused."""
        if name in self.typed:
            return self.typed[name]
        value = getattr(self, name)
        return "" if value is None else str(value)

    def as_dict(self) -> dict:
        """The non-empty filters, as strings (stored in saved searches, put in links)."""
        out = {}
        for name in self.FIELDS:
            value = getattr(self, name)
            if value not in (None, "") and not (name == "sort" and value == "seq"):
                out[name] = str(value)
        return out

    @property
    def active(self) -> bool:
        return any(k != "sort" for k in self.as_dict())

    def in_words(self) -> list[tuple[str, str]]:
        """The filters as a reader knows them, (label, value) in the current language:
        [("所属区（市）县", "锦江区"), ("融资方式", "项目贷款")]. Unknown codes are shown as given."""
        return filter_words(self.as_dict())


FILTER_LABELS = {
    "q": _l("Keyword"),
    "district": _l("District"),
    "category": _l("Category"),
    "industry": _l("Industry"),
    "level": _l("Level"),
    "instrument": _l("Instrument"),
    "min_amount": _l("Amount from (10k yuan)"),
    "max_amount": _l("Amount to (10k yuan)"),
    "marker": _l("New / carried over"),
    "sort": _l("Sort by"),
}
SORT_LABELS = {
    "seq": _l("List order"),
    "amount_desc": _l("Amount, largest first"),
    "amount_asc": _l("Amount, smallest first"),
    "district": _l("District"),
    "level": _l("Level"),
}


def _filter_value(name: str, value: str) -> str:
    from app import reference as ref

    if name == "district":
        place = ref.district(value) or ref.zone(value)
        return place.label if place else value
    if name == "industry":
        trade = ref.industry(value)
        return trade.label if trade else value
    enums = {"category": Category, "level": Level, "instrument": Instrument, "marker": ItemMarker}
    if name in enums:
        member = next((m for m in enums[name] if m.value == value), None)
        return ref.label(member) if member is not None else value
    if name == "sort":
        return str(SORT_LABELS.get(value, value))
    return value


def filter_words(filters: dict) -> list[tuple[str, str]]:
    """(label, value) of each stored filter (Filters.as_dict, a saved search), in words."""
    return [(str(FILTER_LABELS.get(k, k)), _filter_value(k, str(v))) for k, v in filters.items()]


def filters_sentence(filters: "Filters") -> str:
    """所属区（市）县：锦江区；融资方式：项目贷款 (in the current language's punctuation)."""
    from flask_babel import gettext

    return gettext("; ").join(gettext("%(label)s: %(value)s", label=k, value=v) for k, v in filters.in_words())


READER_SORTS = {
    "seq": (EditionItem.seq,),
    "amount_desc": (EditionItem.amount.desc(), EditionItem.seq),
    "amount_asc": (EditionItem.amount, EditionItem.seq),
    "district": (EditionItem.district_code, EditionItem.seq),
    "level": (EditionItem.level, EditionItem.seq),
}


def _conditions(edition: Edition, filters: Filters) -> list:
    """The WHERE terms of the edition's items matching the filters. Each equality filter
    has an index led by edition_id (app/models/edition.py)."""
    conditions = [EditionItem.edition_id == edition.id]
    for name, column in (("district", EditionItem.district_code), ("category", EditionItem.category),
                         ("industry", EditionItem.industry_code), ("level", EditionItem.level)):
        if getattr(filters, name):
            conditions.append(column == getattr(filters, name))
    if filters.marker in {m.value for m in ItemMarker}:
        conditions.append(EditionItem.marker == ItemMarker(filters.marker))
    if filters.instrument in {i.value for i in Instrument}:
        conditions.append(EditionItem.id.in_(sa.select(EditionItemInstrument.item_id).where(
            EditionItemInstrument.instrument == Instrument(filters.instrument))))
    if filters.min_amount is not None:
        conditions.append(EditionItem.amount >= filters.min_amount)
    if filters.max_amount is not None:
        conditions.append(EditionItem.amount <= filters.max_amount)
    if filters.q:
        # A substring match on the denormalised text: right for Chinese queries of any
        # length (no word segmentation), with % and _ taken literally.
        conditions.append(EditionItem.search_text.contains(filters.q.lower(), autoescape=True))
    return conditions


def search_items(edition: Edition, filters: Filters) -> sa.Select:
    """The edition's items matching the filters, in the chosen order."""
    return sa.select(EditionItem).where(*_conditions(edition, filters)).order_by(
        *READER_SORTS.get(filters.sort, READER_SORTS["seq"]))


class ItemPage(SelectPagination):
    """One page of an edition's items. The count is a plain COUNT over the indexed WHERE
    terms (db.paginate counts a subquery of every column, snapshots included); the same
    query sums the matching items' amounts (total_amount, 万元) for the list's summary."""

    total_amount: Decimal | None = None

    def _query_count(self) -> int:
        count, total = self._query_args["session"].execute(
            sa.select(sa.func.count(), sa.func.sum(EditionItem.amount))
            .select_from(EditionItem).where(*self._query_args["conditions"])).one()
        self.total_amount = Decimal(total or 0)
        return count


def page_items(edition: Edition, filters: Filters, *, page: int, per_page: int) -> ItemPage:
    """The page asked for (the last one if beyond it). A published edition's rows are read
    from the snapshots alone; a draft's items come with their needs (item_data)."""
    conditions = _conditions(edition, filters)
    query = sa.select(EditionItem).where(*conditions).order_by(
        *READER_SORTS.get(filters.sort, READER_SORTS["seq"]))
    if edition.is_draft:
        query = query.options(selectinload(EditionItem.need).options(
            selectinload(FinancingNeed.instrument_rows),
            selectinload(FinancingNeed.project).selectinload(Project.org)))
    else:
        query = query.options(load_only(EditionItem.id, EditionItem.edition_id, EditionItem.need_id,
                                        EditionItem.seq, EditionItem.marker, EditionItem.snapshot))
    def one(number: int) -> ItemPage:
        return ItemPage(page=max(number, 1), per_page=per_page, max_per_page=None, error_out=False,
                        select=query, session=db.session(), conditions=conditions)

    result = one(page)
    if result.pages and page > result.pages:
        result = one(result.pages)
    return result


def edition_industries(edition: Edition) -> set[str]:
    """The industry codes of the edition's items (one query): the industry filter offers
    these, not every division of GB/T 4754."""
    return set(db.session.scalars(sa.select(EditionItem.industry_code).where(
        EditionItem.edition_id == edition.id).distinct()))


def get_item(edition: Edition, seq: int) -> EditionItem:
    if not valid_id(seq):  # beyond an INTEGER column: no such item (and no query)
        raise NotFound()
    item = db.session.scalars(sa.select(EditionItem).where(
        EditionItem.edition_id == edition.id, EditionItem.seq == seq)).first()
    if item is None:
        raise NotFound()
    return item


def contact_of(item: EditionItem, *, user) -> dict | None:
    """The item's contact details if the user may see them; each reading is audited."""
    if not can(user, "view_contact", item):
        return None
    data = item_data(item)
    audit.record("edition_item.view_contact", item, by=user,
                 note=f"{item.edition.title_zh} 第{item.edition.revision}版 第{item.seq}项")
    return {k: data.get(k) for k in CONTACT_FIELDS}


